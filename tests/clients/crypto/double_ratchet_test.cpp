#include "crypto/double_ratchet.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "clients/crypto/test_parties.hpp"

namespace xchat::client {
namespace {

using testing::TestDevice;
using testing::to_hex;

// Alice and Bob after X3DH: Alice initiates, Bob responds to her first message.
class DoubleRatchetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const X25519KeyPair ephemeral = X25519KeyPair::from_secret(testing::seed("alice-ephemeral"));
    auto a = x3dh_initiate(alice_.party, alice_.identity.secret_key, bob_.bundle(true), ephemeral);
    auto b =
        x3dh_respond(bob_.party, bob_.identity.secret_key, bob_.signed_prekey.secret_key,
                     bob_.one_time_prekey.secret_key, alice_.certificate, ephemeral.public_key);
    ASSERT_TRUE(std::holds_alternative<X3dhSecret>(a));
    ASSERT_TRUE(std::holds_alternative<X3dhSecret>(b));
    secret_ = std::get<X3dhSecret>(a);
    auto alice = DoubleRatchet::initiator(secret_, bob_.signed_prekey.public_key,
                                          testing::seeded_keys("alice-ratchet"), limits_);
    ASSERT_TRUE(std::holds_alternative<DoubleRatchet>(alice));
    alice_session_.emplace(std::move(std::get<DoubleRatchet>(alice)));
    bob_session_.emplace(DoubleRatchet::responder(std::get<X3dhSecret>(b), bob_.signed_prekey,
                                                  testing::seeded_keys("bob-ratchet"), limits_));
  }

  static std::string opened(CryptoResult<std::string> r) {
    if (auto* error = std::get_if<CryptoError>(&r))
      return "error: " + std::string(to_string(*error));
    return std::get<std::string>(r);
  }
  static CryptoError refused(CryptoResult<std::string> r) {
    EXPECT_TRUE(std::holds_alternative<CryptoError>(r))
        << "decrypted: " << std::get<std::string>(r);
    return std::holds_alternative<CryptoError>(r) ? std::get<CryptoError>(r)
                                                  : CryptoError::kMalformed;
  }

  DoubleRatchet& alice() { return *alice_session_; }
  DoubleRatchet& bob() { return *bob_session_; }

  TestDevice alice_{"alice", 1, 3};
  TestDevice bob_{"bob", 2, 7};
  RatchetLimits limits_{};
  X3dhSecret secret_;
  std::optional<DoubleRatchet> alice_session_;
  std::optional<DoubleRatchet> bob_session_;
};

TEST_F(DoubleRatchetTest, AConversationInBothDirections) {
  EXPECT_FALSE(bob().can_send()) << "the responder speaks only after hearing the initiator";
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 3; ++i) {
      const std::string text = "alice " + std::to_string(round) + "." + std::to_string(i);
      EXPECT_EQ(opened(bob().decrypt(alice().encrypt(text))), text);
    }
    ASSERT_TRUE(bob().can_send());
    const std::string reply = "bob " + std::to_string(round);
    EXPECT_EQ(opened(alice().decrypt(bob().encrypt(reply))), reply);
  }
}

TEST_F(DoubleRatchetTest, EachTurnOfTheConversationBringsANewRatchetKey) {
  const auto a1 = RatchetHeader::decode(alice().encrypt("1").substr(0, RatchetHeader::kBytes));
  const auto a2 = RatchetHeader::decode(alice().encrypt("2").substr(0, RatchetHeader::kBytes));
  ASSERT_TRUE(a1 && a2);
  EXPECT_EQ(a1->dh, a2->dh) << "same chain while Alice keeps talking";
  EXPECT_EQ(a2->message_number, 1u);
  // Bob hears her and answers: his key is new, and so is Alice's after she hears him.
  ASSERT_EQ(opened(bob().decrypt(alice().encrypt("3"))), "3");
  const std::string reply = bob().encrypt("hi");
  const auto b1 = RatchetHeader::decode(reply.substr(0, RatchetHeader::kBytes));
  ASSERT_EQ(opened(alice().decrypt(reply)), "hi");
  const auto a3 = RatchetHeader::decode(alice().encrypt("4").substr(0, RatchetHeader::kBytes));
  ASSERT_TRUE(b1 && a3);
  EXPECT_NE(b1->dh, bob_.signed_prekey.public_key);
  EXPECT_NE(a3->dh, a1->dh);
  EXPECT_EQ(a3->previous_chain_length, 3u);
  EXPECT_EQ(a3->message_number, 0u);
}

TEST_F(DoubleRatchetTest, OutOfOrderMessagesWithinTheBoundAllArrive) {
  std::vector<std::string> first_chain;
  for (int i = 0; i < 5; ++i) first_chain.push_back(alice().encrypt("a" + std::to_string(i)));
  ASSERT_EQ(opened(bob().decrypt(first_chain[4])), "a4");
  EXPECT_EQ(bob().stored_skipped_keys(), 4u);
  const std::string reply = bob().encrypt("b0");
  ASSERT_EQ(opened(alice().decrypt(reply)), "b0");
  const std::string second = alice().encrypt("a5");  // a new chain; the old one is skipped over
  EXPECT_EQ(opened(bob().decrypt(second)), "a5");
  for (int i : {2, 0, 3, 1}) {
    EXPECT_EQ(opened(bob().decrypt(first_chain[static_cast<std::size_t>(i)])),
              "a" + std::to_string(i));
  }
  EXPECT_EQ(bob().stored_skipped_keys(), 0u);
}

TEST_F(DoubleRatchetTest, AMessageTooFarAheadIsRefusedAndChangesNothing) {
  limits_.max_skip = 10;
  SetUp();
  std::vector<std::string> sent;
  for (int i = 0; i < 12; ++i) sent.push_back(alice().encrypt("m" + std::to_string(i)));
  EXPECT_EQ(refused(bob().decrypt(sent[11])), CryptoError::kTooManySkipped);
  EXPECT_EQ(bob().stored_skipped_keys(), 0u);
  EXPECT_EQ(opened(bob().decrypt(sent[10])), "m10") << "ten ahead is within the bound";
  EXPECT_EQ(opened(bob().decrypt(sent[11])), "m11");
}

TEST_F(DoubleRatchetTest, TamperedMessagesAreRefusedAndLeaveTheSessionIntact) {
  const std::string message = alice().encrypt("the plan");
  for (const std::size_t at :
       {std::size_t{0}, std::size_t{33}, std::size_t{39}, std::size_t{40}, message.size() - 1}) {
    std::string tampered = message;
    tampered[at] ^= 0x01;
    const CryptoError error = refused(bob().decrypt(tampered));
    EXPECT_TRUE(error == CryptoError::kUndecryptable || error == CryptoError::kTooManySkipped ||
                error == CryptoError::kBadKey)
        << "byte " << at << ": " << to_string(error);
  }
  EXPECT_EQ(refused(bob().decrypt(message.substr(0, 60))), CryptoError::kUndecryptable);
  EXPECT_EQ(refused(bob().decrypt(message.substr(0, 20))), CryptoError::kMalformed);
  EXPECT_EQ(opened(bob().decrypt(message)), "the plan") << "the genuine message still opens";
}

TEST_F(DoubleRatchetTest, ReplaysAreRefused) {
  const std::string first = alice().encrypt("once");
  ASSERT_EQ(opened(bob().decrypt(first)), "once");
  EXPECT_EQ(refused(bob().decrypt(first)), CryptoError::kDuplicate);
  // Also after the conversation moved on to new ratchet keys.
  ASSERT_EQ(opened(alice().decrypt(bob().encrypt("reply"))), "reply");
  ASSERT_EQ(opened(bob().decrypt(alice().encrypt("again"))), "again");
  EXPECT_EQ(refused(bob().decrypt(first)), CryptoError::kDuplicate);
}

TEST_F(DoubleRatchetTest, AMessageForAnotherSessionIsRefused) {
  // Carol's session with Bob uses another X3DH secret and associated data.
  TestDevice carol{"carol", 1, 5};
  const X25519KeyPair ephemeral = X25519KeyPair::from_secret(testing::seed("carol-ephemeral"));
  auto c = x3dh_initiate(carol.party, carol.identity.secret_key, bob_.bundle(false), ephemeral);
  ASSERT_TRUE(std::holds_alternative<X3dhSecret>(c));
  auto carol_session =
      DoubleRatchet::initiator(std::get<X3dhSecret>(c), bob_.signed_prekey.public_key,
                               testing::seeded_keys("carol-ratchet"));
  ASSERT_TRUE(std::holds_alternative<DoubleRatchet>(carol_session));
  const std::string for_carols_session = std::get<DoubleRatchet>(carol_session).encrypt("hi bob");
  EXPECT_EQ(refused(bob().decrypt(for_carols_session)), CryptoError::kUndecryptable);
  EXPECT_EQ(opened(bob().decrypt(alice().encrypt("still fine"))), "still fine");
}

TEST_F(DoubleRatchetTest, SkippedKeysAreBoundedOldestFirst) {
  limits_.max_stored = 3;
  SetUp();
  std::vector<std::string> sent;
  for (int i = 0; i < 6; ++i) sent.push_back(alice().encrypt("m" + std::to_string(i)));
  ASSERT_EQ(opened(bob().decrypt(sent[5])), "m5");
  EXPECT_EQ(bob().stored_skipped_keys(), 3u);
  EXPECT_EQ(refused(bob().decrypt(sent[0])), CryptoError::kDuplicate) << "its key was evicted";
  EXPECT_EQ(opened(bob().decrypt(sent[4])), "m4");
}

// Forward secrecy: an attacker who records ciphertexts and later takes both devices'
// complete session state still cannot read what was exchanged before.
TEST_F(DoubleRatchetTest, EarlierMessagesStayUnreadableWithTodaysStateOfBothSides) {
  std::vector<std::string> recorded;
  for (int round = 0; round < 3; ++round) {
    recorded.push_back(alice().encrypt("secret " + std::to_string(round)));
    ASSERT_EQ(opened(bob().decrypt(recorded.back())), "secret " + std::to_string(round));
    recorded.push_back(bob().encrypt("answer " + std::to_string(round)));
    ASSERT_EQ(opened(alice().decrypt(recorded.back())), "answer " + std::to_string(round));
  }
  DoubleRatchet stolen_alice = alice();
  DoubleRatchet stolen_bob = bob();
  for (const auto& c : recorded) {
    for (DoubleRatchet* stolen : {&stolen_alice, &stolen_bob}) {
      DoubleRatchet attempt = *stolen;
      EXPECT_TRUE(std::holds_alternative<CryptoError>(attempt.decrypt(c)));
    }
  }
}

// docs/crypto.md quotes these bytes: the first message of the session and Bob's first reply.
TEST_F(DoubleRatchetTest, TestVectors) {
  const std::string first = alice().encrypt("hello bob");
  EXPECT_EQ(to_hex(first),
            "29da24f225ce94d3964637c65f111c1812b9119127dd64e903eddabd1759b52e000000000000000055cd22"
            "ddd6bac62260b21b430d9a6f4dee6b1a6e9b97f240f3");
  ASSERT_EQ(opened(bob().decrypt(first)), "hello bob");
  EXPECT_EQ(to_hex(bob().encrypt("hello alice")),
            "b53835409dc5ade0b71b7f5967259719444b47ad3b9794e3906ac7e4e467ac110000000000000000893f74"
            "f40cce355e6d120962335510ec0dc01d7c97d94c21e5e6d2");
}

}  // namespace
}  // namespace xchat::client
