#include "crypto/x3dh.hpp"

#include <gtest/gtest.h>

#include "clients/crypto/test_parties.hpp"

namespace xchat::client {
namespace {

using testing::TestDevice;
using testing::to_hex;

class X3dhTest : public ::testing::Test {
 protected:
  TestDevice alice_{"alice", 1, 3};
  TestDevice bob_{"bob", 2, 7};
  X25519KeyPair ephemeral_ = X25519KeyPair::from_secret(testing::seed("alice-ephemeral"));

  CryptoResult<X3dhSecret> initiate(const PrekeyBundle& bundle) {
    return x3dh_initiate(alice_.party, alice_.identity.secret_key, bundle, ephemeral_);
  }
  CryptoResult<X3dhSecret> respond(bool with_one_time_prekey) {
    return x3dh_respond(bob_.party, bob_.identity.secret_key, bob_.signed_prekey.secret_key,
                        with_one_time_prekey
                            ? std::optional<std::string_view>(bob_.one_time_prekey.secret_key)
                            : std::nullopt,
                        alice_.certificate, ephemeral_.public_key);
  }
};

TEST_F(X3dhTest, BothSidesDeriveTheSameSecretWithAndWithoutAOneTimePrekey) {
  for (const bool one_time : {true, false}) {
    auto a = initiate(bob_.bundle(one_time));
    auto b = respond(one_time);
    ASSERT_TRUE(std::holds_alternative<X3dhSecret>(a)) << one_time;
    ASSERT_TRUE(std::holds_alternative<X3dhSecret>(b)) << one_time;
    EXPECT_EQ(std::get<X3dhSecret>(a).shared_secret.size(), 32u);
    EXPECT_EQ(std::get<X3dhSecret>(a).shared_secret, std::get<X3dhSecret>(b).shared_secret);
    EXPECT_EQ(std::get<X3dhSecret>(a).associated_data, std::get<X3dhSecret>(b).associated_data);
  }
  // The one-time prekey changes the secret: without it, a replayed first message would
  // reach the same keys.
  EXPECT_NE(std::get<X3dhSecret>(initiate(bob_.bundle(true))).shared_secret,
            std::get<X3dhSecret>(initiate(bob_.bundle(false))).shared_secret);
}

// docs/crypto.md quotes these values; another implementation must reproduce them from the
// seeds in test_parties.hpp.
TEST_F(X3dhTest, TestVectors) {
  auto with = initiate(bob_.bundle(true));
  auto without = initiate(bob_.bundle(false));
  ASSERT_TRUE(std::holds_alternative<X3dhSecret>(with));
  ASSERT_TRUE(std::holds_alternative<X3dhSecret>(without));
  EXPECT_EQ(to_hex(std::get<X3dhSecret>(with).shared_secret),
            "8633a3905068fe1bd7ce6fb749546e4f7ceaf44e49fac8aa28082d303514ba25");
  EXPECT_EQ(to_hex(std::get<X3dhSecret>(without).shared_secret),
            "a3c2cf153325deadec428b7da4c9dec3d4cbf403c3bafadd7459950684adcc32");
  EXPECT_EQ(to_hex(std::get<X3dhSecret>(with).associated_data),
            "78636861742d783364682d7631000000000640616c6963650000000400000001000000204"
            "6c9d48f74e38d060809920b994259abbbbf18224c6952600288f2e636787d5b00000020740f5b909594"
            "2cae1f2df84b8720233bbc40ab26898d40acb2fb38bf934e5e070000000440626f620000000400000002"
            "000000205166832ed2332c66b3df1d73b815c54dfc9c9d4c79bbcb40eb481cd8abe925b3000000204779"
            "c1da08af1981eca50fee51fbc16890137672714dccb8caec58cbb58e4f10");
}

TEST_F(X3dhTest, AssociatedDataBindsBothPartiesInOrder) {
  const std::string ad = x3dh_associated_data(alice_.party, bob_.party);
  EXPECT_NE(ad, x3dh_associated_data(bob_.party, alice_.party));
  Party other_device = bob_.party;
  other_device.device_id = 3;
  EXPECT_NE(ad, x3dh_associated_data(alice_.party, other_device));
  EXPECT_EQ(ad.rfind("xchat-x3dh-v1", 0), 0u);
}

TEST_F(X3dhTest, ABundleNotSignedByTheAccountIsRefused) {
  PrekeyBundle forged = bob_.bundle(true);
  forged.device.signed_prekey = alice_.signed_prekey.public_key;  // the server swapped it
  EXPECT_EQ(std::get<CryptoError>(initiate(forged)), CryptoError::kBadSignature);

  forged = bob_.bundle(true);
  forged.device.party.identity_dh_key = alice_.identity.public_key;
  EXPECT_EQ(std::get<CryptoError>(initiate(forged)), CryptoError::kBadSignature);

  forged = bob_.bundle(true);
  forged.device.signature[5] ^= 1;
  EXPECT_EQ(std::get<CryptoError>(initiate(forged)), CryptoError::kBadSignature);

  forged = bob_.bundle(true);
  forged.device.party.device_id = 9;  // signed for device 2
  EXPECT_EQ(std::get<CryptoError>(initiate(forged)), CryptoError::kBadSignature);
}

TEST_F(X3dhTest, TheResponderRefusesAnInitiatorNotSignedByItsAccount) {
  alice_.certificate.party.identity_sign_key = bob_.sign_public;
  EXPECT_EQ(std::get<CryptoError>(respond(true)), CryptoError::kBadSignature);
}

TEST_F(X3dhTest, LowOrderAndMalformedKeysAreRefused) {
  PrekeyBundle bundle = bob_.bundle(true);
  bundle.one_time_prekey = std::string(32, '\0');  // the identity point: DH result all zeros
  EXPECT_EQ(std::get<CryptoError>(initiate(bundle)), CryptoError::kBadKey);
  bundle.one_time_prekey = std::string(31, 'x');
  EXPECT_EQ(std::get<CryptoError>(initiate(bundle)), CryptoError::kMalformed);
  auto refused = x3dh_respond(bob_.party, bob_.identity.secret_key, bob_.signed_prekey.secret_key,
                              std::nullopt, alice_.certificate, std::string(32, '\0'));
  EXPECT_EQ(std::get<CryptoError>(refused), CryptoError::kBadKey);
}

}  // namespace
}  // namespace xchat::client
