#include "crypto/content.hpp"

#include <gtest/gtest.h>

#include "clients/crypto/test_parties.hpp"

namespace xchat::client {
namespace {

Content sample() {
  Content c;
  c.type = ContentType::kText;
  c.timestamp_ms = 1795587378943;
  c.sender_handle = "@alice";
  c.sender_device = 1;
  c.message_id = std::string(16, '\x07');
  c.body = "see you at 8";
  return c;
}

Party alice_device_1() { return Party{"@alice", 1, std::string(32, 'k'), std::string(32, 'd')}; }

TEST(Content, RoundTripsEveryType) {
  for (const auto type :
       {ContentType::kText, ContentType::kReceipt, ContentType::kTyping, ContentType::kControl}) {
    Content c = sample();
    c.type = type;
    const auto decoded = Content::decode(c.encode());
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->type, type);
    EXPECT_EQ(decoded->timestamp_ms, c.timestamp_ms);
    EXPECT_EQ(decoded->sender_handle, "@alice");
    EXPECT_EQ(decoded->sender_device, 1u);
    EXPECT_EQ(decoded->message_id, c.message_id);
    EXPECT_EQ(decoded->body, c.body);
    EXPECT_EQ(decoded->recipient, "");
  }
  Content sync_copy = sample();
  sync_copy.recipient = "@bob";
  const auto decoded = Content::decode(sync_copy.encode());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->recipient, "@bob");
}

TEST(Content, TestVector) {
  EXPECT_EQ(testing::to_hex(sample().encode()),
            "78636861742d636f6e74656e742d763100000000010100000008000001a211590eff0000000640616c"
            "69636500000004000000010000001007070707070707070707070707070707"
            "00000000"
            "0000000c73656520796f752061742038");
}

TEST(Content, RefusesAnythingButAnExactEncoding) {
  const std::string good = sample().encode();
  EXPECT_FALSE(Content::decode(good.substr(0, good.size() - 1)));
  EXPECT_FALSE(Content::decode(good + "x"));
  EXPECT_FALSE(Content::decode("xchat-content-v2" + good.substr(16)));
  Content unknown = sample();
  unknown.type = static_cast<ContentType>(9);
  EXPECT_FALSE(Content::decode(unknown.encode()));
  Content short_id = sample();
  short_id.message_id = "short";
  EXPECT_FALSE(Content::decode(short_id.encode()));
}

TEST(Content, TheSenderAndMessageIdMustMatchTheEnvelope) {
  const std::string plaintext = sample().encode();
  const std::string id(16, '\x07');
  EXPECT_TRUE(std::holds_alternative<Content>(open_content(plaintext, alice_device_1(), id)));
  Party other_device = alice_device_1();
  other_device.device_id = 2;
  EXPECT_EQ(std::get<CryptoError>(open_content(plaintext, other_device, id)),
            CryptoError::kMisattributed);
  Party other_user = alice_device_1();
  other_user.handle_key = "@mallory";
  EXPECT_EQ(std::get<CryptoError>(open_content(plaintext, other_user, id)),
            CryptoError::kMisattributed);
  EXPECT_EQ(std::get<CryptoError>(open_content(plaintext, alice_device_1(), std::string(16, 'x'))),
            CryptoError::kMisattributed);
  EXPECT_EQ(std::get<CryptoError>(open_content("garbage", alice_device_1(), id)),
            CryptoError::kMalformed);
}

}  // namespace
}  // namespace xchat::client
