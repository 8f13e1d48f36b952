#include "xchat/signing.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "crypto/ed25519.hpp"
#include "crypto/random.hpp"
#include "xchat/base64.hpp"

namespace xchat {
namespace {

std::string u32be(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff),
          static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

struct KeyPair {
  std::string public_key;
  std::string secret_key;
};

KeyPair key_pair_from_seed(const std::string& seed) {
  KeyPair kp{std::string(crypto_sign_PUBLICKEYBYTES, '\0'),
             std::string(crypto_sign_SECRETKEYBYTES, '\0')};
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(kp.public_key.data()),
                           reinterpret_cast<unsigned char*>(kp.secret_key.data()),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  return kp;
}

// Seed bytes 0, 1, ..., 31: the key pair of the documented test vector.
KeyPair vector_key_pair() {
  std::string seed;
  for (int i = 0; i < 32; ++i) seed.push_back(static_cast<char>(i));
  return key_pair_from_seed(seed);
}

std::string sign(std::string_view message, const KeyPair& kp) {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(kp.secret_key.data()));
  return sig;
}

std::string flip_bit(std::string s, std::size_t bit) {
  s[bit / 8] = static_cast<char>(s[bit / 8] ^ (1 << (bit % 8)));
  return s;
}

class Signing : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(crypto::init_sodium()); }
};

TEST_F(Signing, DeviceBindingMessageLayout) {
  const std::string key(32, '\xab');
  std::string expected = "xchat-device-v1";
  expected.push_back('\0');
  expected += u32be(6) + "@alice";
  expected += u32be(4) + std::string("\x01\x02\x03\x04", 4);
  expected += u32be(32) + key;
  EXPECT_EQ(hex(device_binding_message("@alice", 0x01020304, key)), hex(expected));
}

TEST_F(Signing, LoginMessageLayout) {
  const std::string nonce(32, '\x01');
  std::string expected = "xchat-login-v1";
  expected.push_back('\0');
  expected += u32be(10) + "test.xchat";
  expected += u32be(6) + "@alice";
  expected += u32be(4) + u32be(1);
  expected += u32be(32) + nonce;
  const std::string message = login_message("test.xchat", "@alice", 1, nonce);
  EXPECT_EQ(hex(message), hex(expected));
  // The same bytes as docs/protocol.md's worked example.
  EXPECT_EQ(hex(message),
            "78636861742d6c6f67696e2d7631000000000a746573742e78636861740000000640616c696365"
            "0000000400000001000000200101010101010101010101010101010101010101010101010101"
            "010101010101");
}

TEST_F(Signing, SignedPrekeyMessageLayout) {
  const std::string identity_dh(32, '\x02');
  const std::string prekey(32, '\x03');
  std::string expected = "xchat-signed-prekey-v1";
  expected.push_back('\0');
  expected += u32be(6) + "@alice";
  expected += u32be(4) + u32be(2);
  expected += u32be(32) + identity_dh;
  expected += u32be(4) + u32be(7);
  expected += u32be(32) + prekey;
  EXPECT_EQ(hex(signed_prekey_message("@alice", 2, identity_dh, 7, prekey)), hex(expected));
}

TEST_F(Signing, DeviceIdIsBigEndianAndFullWidth) {
  const std::string m = login_message("s", "@a", 0xfffffffeu, "");
  EXPECT_NE(m.find(u32be(4) + std::string("\xff\xff\xff\xfe", 4)), std::string::npos);
}

TEST_F(Signing, FieldBoundariesCannotBeShifted) {
  const std::string nonce(32, 'n');
  EXPECT_NE(login_message("ab", "@c", 1, nonce), login_message("a", "b@c", 1, nonce));
  EXPECT_NE(device_binding_message("@ab", 1, "c"), device_binding_message("@a", 1, "bc"));
}

TEST_F(Signing, LabelsSeparatePurposes) {
  const std::string key(32, 'k');
  const std::string binding = device_binding_message("@alice", 1, key);
  const std::string login = login_message("@alice", "", 1, key);
  EXPECT_EQ(binding.rfind("xchat-device-v1", 0), 0u);
  EXPECT_EQ(login.rfind("xchat-login-v1", 0), 0u);
  EXPECT_NE(binding, login);
}

TEST_F(Signing, SignatureOverEachMessageVerifies) {
  const KeyPair identity = vector_key_pair();
  const KeyPair device = key_pair_from_seed(std::string(32, '\x42'));
  const std::string binding = device_binding_message("@alice", 1, device.public_key);
  EXPECT_TRUE(crypto::ed25519_verify(sign(binding, identity), binding, identity.public_key));
  const std::string login = login_message("test.xchat", "@alice", 1, std::string(32, '\x07'));
  EXPECT_TRUE(crypto::ed25519_verify(sign(login, device), login, device.public_key));
  // A signature by the wrong key does not.
  EXPECT_FALSE(crypto::ed25519_verify(sign(login, identity), login, device.public_key));
}

TEST_F(Signing, AnyFlippedBitFailsVerification) {
  const KeyPair kp = vector_key_pair();
  const std::string message = login_message("test.xchat", "@alice", 1, std::string(32, '\x01'));
  const std::string sig = sign(message, kp);
  ASSERT_TRUE(crypto::ed25519_verify(sig, message, kp.public_key));
  for (std::size_t bit = 0; bit < message.size() * 8; ++bit) {
    EXPECT_FALSE(crypto::ed25519_verify(sig, flip_bit(message, bit), kp.public_key))
        << "message bit " << bit;
  }
  for (std::size_t bit = 0; bit < sig.size() * 8; ++bit) {
    EXPECT_FALSE(crypto::ed25519_verify(flip_bit(sig, bit), message, kp.public_key))
        << "signature bit " << bit;
  }
  for (std::size_t bit = 0; bit < kp.public_key.size() * 8; ++bit) {
    EXPECT_FALSE(crypto::ed25519_verify(sig, message, flip_bit(kp.public_key, bit)))
        << "key bit " << bit;
  }
}

TEST_F(Signing, WrongSizesFail) {
  const KeyPair kp = vector_key_pair();
  const std::string message = "m";
  const std::string sig = sign(message, kp);
  EXPECT_FALSE(crypto::ed25519_verify(sig.substr(0, 63), message, kp.public_key));
  EXPECT_FALSE(crypto::ed25519_verify(sig + '\0', message, kp.public_key));
  EXPECT_FALSE(crypto::ed25519_verify("", message, kp.public_key));
  EXPECT_FALSE(crypto::ed25519_verify(sig, message, kp.public_key.substr(0, 31)));
  EXPECT_FALSE(crypto::ed25519_verify(sig, message, kp.public_key + '\0'));
  EXPECT_FALSE(crypto::ed25519_verify(sig, message, ""));
  // An all-zero (small-order) key never verifies, whatever the signature.
  EXPECT_FALSE(crypto::ed25519_verify(std::string(64, '\0'), message, std::string(32, '\0')));
}

TEST_F(Signing, FixedTestVector) {
  // Ed25519 is deterministic, so this vector is stable; docs/protocol.md quotes it.
  // Cross-checked with `openssl pkeyutl -sign -rawin` on the same seed and message.
  const KeyPair kp = vector_key_pair();
  EXPECT_EQ(hex(kp.public_key), "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  const std::string message = login_message("test.xchat", "@alice", 1, std::string(32, '\x01'));
  const std::string sig = sign(message, kp);
  EXPECT_EQ(hex(sig),
            "9d56fe013c779f587298135ba50c57281370e420f9378b86f283beea393077e0"
            "a5a6f56d9f34d579c09cb534ef1f3be27a9990c7185c00e5fd8c17af2f082600");
  EXPECT_TRUE(crypto::ed25519_verify(sig, message, kp.public_key));
}

TEST_F(Signing, ExampleSessionOfTheProtocolDocument) {
  // docs/protocol.md section 11 prints these frames; the seeds make them reproducible.
  const KeyPair identity = key_pair_from_seed(std::string(32, '\x11'));
  const KeyPair device = key_pair_from_seed(std::string(32, '\x22'));
  EXPECT_EQ(base64_encode(identity.public_key), "0EqyMnQrtKs6E2i9RhXk5tAiSrcaAWuvhSCjMsl3hzc=");
  EXPECT_EQ(base64_encode(device.public_key), "oJql9HpnWYAv+VX43C0qFKXJnSO+l/hkEn/5ODRVpPA=");

  const std::string binding = device_binding_message("@alice", 1, device.public_key);
  EXPECT_EQ(
      base64_encode(sign(binding, identity)),
      "7JGQOzZCFFnEKFfcOq3/+zQPfFJsLJzhPaUTWQh4KVRBbKflb3K7/p57cHhOq9x8uf90MNFFXtW8LMopkW9RCw==");

  const auto nonce = base64_decode("JB7UiBidb2RhUGm8MzhKK8mIbogmuKQHcdVg/aAoKjg=");
  ASSERT_TRUE(nonce);
  const auto login_sig = base64_decode(
      "CCRHr9z7dIB8nKMqBKwSeHT6mwH/YwfFrtM/pfkSm9d4iF4M4fnY0kTXHcrMxrwaajnOPDuSKxXI8RoC28A3Ag==");
  ASSERT_TRUE(login_sig);
  EXPECT_TRUE(crypto::ed25519_verify(*login_sig, login_message("localhost", "@alice", 1, *nonce),
                                     device.public_key));
}

}  // namespace
}  // namespace xchat
