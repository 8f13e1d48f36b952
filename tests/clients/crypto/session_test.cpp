#include "crypto/session.hpp"

#include <gtest/gtest.h>

#include "clients/crypto/test_parties.hpp"

namespace xchat::client {
namespace {

using testing::TestDevice;

// A device's keys as a session sees them, with the one-time prekey deletable.
struct Device {
  TestDevice keys;
  bool one_time_prekey_used = false;

  Device(const std::string& name, std::uint32_t device_id, std::uint32_t signed_prekey_id)
      : keys(name, device_id, signed_prekey_id) {}

  LocalDevice local() {
    return LocalDevice{keys.party, keys.identity.secret_key, keys.certificate,
                       [this](std::uint32_t id) -> const X25519KeyPair* {
                         return id == keys.certificate.signed_prekey_id ? &keys.signed_prekey
                                                                        : nullptr;
                       },
                       [this](std::uint32_t id) -> const X25519KeyPair* {
                         return id == 42 && !one_time_prekey_used ? &keys.one_time_prekey : nullptr;
                       }};
  }
};

std::string opened(CryptoResult<std::string> r) {
  if (auto* error = std::get_if<CryptoError>(&r)) return "error: " + std::string(to_string(*error));
  return std::get<std::string>(r);
}

class SessionTest : public ::testing::Test {
 protected:
  Session start() {
    auto s = Session::initiate(alice_.local(), bob_.keys.bundle(true),
                               testing::seeded_keys("alice-session"));
    EXPECT_TRUE(std::holds_alternative<Session>(s));
    return std::move(std::get<Session>(s));
  }

  Device alice_{"alice", 1, 3};
  Device bob_{"bob", 2, 7};
};

TEST_F(SessionTest, FirstMessagesCarryTheKeyAgreementUntilThePeerAnswers) {
  Session alice = start();
  const std::string first = alice.encrypt("hi bob");
  const std::string second = alice.encrypt("are you there?");
  EXPECT_TRUE(Session::is_prekey_message(first));
  EXPECT_TRUE(Session::is_prekey_message(second));

  auto accepted = Session::accept(bob_.local(), first, testing::seeded_keys("bob-session"));
  ASSERT_TRUE(std::holds_alternative<Session::Accepted>(accepted));
  auto& [bob, plaintext, one_time_prekey_id] = std::get<Session::Accepted>(accepted);
  EXPECT_EQ(plaintext, "hi bob");
  EXPECT_EQ(one_time_prekey_id, 42u);
  bob_.one_time_prekey_used = true;
  EXPECT_EQ(bob.peer().handle_key, "@alice");
  EXPECT_EQ(bob.peer().device_id, 1u);
  EXPECT_EQ(bob.peer().identity_sign_key, alice_.keys.sign_public);
  EXPECT_EQ(opened(bob.decrypt(second)), "are you there?");

  const std::string reply = bob.encrypt("here");
  EXPECT_FALSE(Session::is_prekey_message(reply));
  EXPECT_EQ(opened(alice.decrypt(reply)), "here");
  const std::string third = alice.encrypt("good");
  EXPECT_FALSE(Session::is_prekey_message(third)) << "answered: no more key agreement";
  EXPECT_EQ(opened(bob.decrypt(third)), "good");
}

TEST_F(SessionTest, AReplayedFirstMessageFindsItsOneTimePrekeyGone) {
  Session alice = start();
  const std::string first = alice.encrypt("hi bob");
  auto accepted = Session::accept(bob_.local(), first, testing::seeded_keys("bob-session"));
  ASSERT_TRUE(std::holds_alternative<Session::Accepted>(accepted));
  bob_.one_time_prekey_used = true;
  auto replayed = Session::accept(bob_.local(), first, testing::seeded_keys("bob-session"));
  EXPECT_EQ(std::get<CryptoError>(replayed), CryptoError::kDuplicate);
  // And within the session it came from, it is a replay too.
  EXPECT_EQ(opened(std::get<Session::Accepted>(accepted).session.decrypt(first)),
            "error: duplicate");
}

TEST_F(SessionTest, AForgedSenderCertificateIsRefused) {
  Session alice = start();
  std::string first = alice.encrypt("hi bob");
  // The certificate's signature sits after 0x01, the handle and its length, the device id,
  // both identity keys, the signed prekey id and the signed prekey.
  const std::size_t signature_at = 1 + 4 + 6 + 4 + 32 + 32 + 4 + 32;
  first[signature_at + 10] ^= 0x01;
  auto refused = Session::accept(bob_.local(), first, testing::seeded_keys("bob-session"));
  EXPECT_EQ(std::get<CryptoError>(refused), CryptoError::kBadSignature);
}

TEST_F(SessionTest, MalformedOrMisaddressedFirstMessagesAreRefused) {
  Session alice = start();
  const std::string first = alice.encrypt("hi bob");
  EXPECT_EQ(std::get<CryptoError>(Session::accept(bob_.local(), first.substr(0, 100),
                                                  testing::seeded_keys("bob-session"))),
            CryptoError::kMalformed);
  EXPECT_EQ(std::get<CryptoError>(Session::accept(bob_.local(), std::string("\x02", 1) + first,
                                                  testing::seeded_keys("bob-session"))),
            CryptoError::kMalformed);
  Device carol{"carol", 1, 7};  // same prekey ids as Bob, different keys
  EXPECT_EQ(std::get<CryptoError>(
                Session::accept(carol.local(), first, testing::seeded_keys("carol-session"))),
            CryptoError::kUndecryptable);
  Device bob_later{"bob", 2, 8};  // Bob after rotating his signed prekey away
  EXPECT_EQ(std::get<CryptoError>(
                Session::accept(bob_later.local(), first, testing::seeded_keys("bob-session"))),
            CryptoError::kUndecryptable);
}

// Sessions survive being stored and loaded at any point: mid-chain, with skipped keys
// waiting, and before the peer answered.
TEST_F(SessionTest, ASessionStoredAndLoadedCarriesOnExactly) {
  Session alice = start();
  const std::string first = alice.encrypt("one");
  auto accepted = Session::accept(bob_.local(), first, testing::seeded_keys("bob-session"));
  ASSERT_TRUE(std::holds_alternative<Session::Accepted>(accepted));
  Session bob = std::move(std::get<Session::Accepted>(accepted).session);

  const std::string skipped = alice.encrypt("two");
  const std::string third = alice.encrypt("three");
  ASSERT_EQ(opened(bob.decrypt(third)), "three");  // "two" is waiting as a skipped key

  auto reloaded_alice = Session::deserialize(alice.serialize(), testing::seeded_keys("alice-2"));
  auto reloaded_bob = Session::deserialize(bob.serialize(), testing::seeded_keys("bob-2"));
  ASSERT_TRUE(reloaded_alice && reloaded_bob);
  EXPECT_EQ(reloaded_bob->peer().handle_key, "@alice");
  EXPECT_EQ(opened(reloaded_bob->decrypt(skipped)), "two");
  EXPECT_TRUE(Session::is_prekey_message(reloaded_alice->encrypt("still unanswered")));
  const std::string reply = reloaded_bob->encrypt("answer");
  EXPECT_EQ(opened(reloaded_alice->decrypt(reply)), "answer");
  EXPECT_EQ(opened(reloaded_bob->decrypt(reloaded_alice->encrypt("and on"))), "and on");

  std::string damaged = bob.serialize();
  EXPECT_FALSE(
      Session::deserialize(damaged.substr(0, damaged.size() - 1), testing::seeded_keys("x")));
  EXPECT_FALSE(Session::deserialize(damaged + "x", testing::seeded_keys("x")));
  EXPECT_FALSE(Session::deserialize("", testing::seeded_keys("x")));
}

}  // namespace
}  // namespace xchat::client
