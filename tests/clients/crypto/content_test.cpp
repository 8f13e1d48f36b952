#include "crypto/content.hpp"

#include <gtest/gtest.h>

#include "clients/crypto/test_parties.hpp"
#include "crypto/attachment_format.hpp"

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
  for (const auto type : {ContentType::kText, ContentType::kReceipt, ContentType::kTyping,
                          ContentType::kControl, ContentType::kEdit, ContentType::kRetraction}) {
    Content c = sample();
    c.type = type;
    // Types whose body names a message (or a control kind) need one of that shape.
    if (type == ContentType::kEdit) c.body = Content::edit_body(std::string(16, 'o'), "fixed");
    if (type == ContentType::kRetraction) c.body = std::string(16, 'o');
    if (type == ContentType::kControl) c.body = Content::timer_body(3600);
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

TEST(Content, ATimerTravelsInsideAndOnlyWhenSet) {
  Content c = sample();
  c.expires_in = 30;
  const std::string encoded = c.encode();
  // Without a timer the encoding is the one before timers existed (the test vector below);
  // with one, a single u32 field follows the body.
  EXPECT_EQ(encoded, sample().encode() + std::string("\0\0\0\4\0\0\0\x1e", 8));
  const auto decoded = Content::decode(encoded);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->expires_in, 30u);
  EXPECT_EQ(decoded->body, "see you at 8");
  EXPECT_EQ(Content::decode(sample().encode())->expires_in, 0u);
  // 0 is written by leaving the field out, so an explicit 0 is not an encoding.
  EXPECT_FALSE(Content::decode(sample().encode() + std::string("\0\0\0\4\0\0\0\0", 8)));
  EXPECT_FALSE(Content::decode(encoded + std::string("\0\0\0\4\0\0\0\1", 8)));
}

TEST(Content, EditsRetractionsAndTimersCarryWhatTheyActOn) {
  const std::string target(16, 'o');
  Content edit = sample();
  edit.type = ContentType::kEdit;
  edit.body = Content::edit_body(target, "see you at 9");
  const auto e = Content::decode(edit.encode());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->target(), target);
  EXPECT_EQ(e->edit_text(), "see you at 9");

  Content retraction = sample();
  retraction.type = ContentType::kRetraction;
  retraction.body = target;
  const auto r = Content::decode(retraction.encode());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->target(), target);

  Content timer = sample();
  timer.type = ContentType::kControl;
  timer.body = Content::timer_body(604800);
  EXPECT_EQ(timer.body, std::string("\x01\x00\x09\x3a\x80", 5));
  EXPECT_EQ(Content::decode(timer.encode())->timer_seconds(), 604800u);
  timer.body = Content::timer_body(0);
  EXPECT_EQ(Content::decode(timer.encode())->timer_seconds(), 0u);

  // Bodies that cannot say which message (or how long) are not encodings.
  edit.body = "short";
  EXPECT_FALSE(Content::decode(edit.encode()));
  retraction.body = target + "x";
  EXPECT_FALSE(Content::decode(retraction.encode()));
  timer.body = std::string(1, '\x01');
  EXPECT_FALSE(Content::decode(timer.encode()));
  timer.body = "";
  EXPECT_FALSE(Content::decode(timer.encode()));
  // A control kind of a later version still decodes, for the receiver to ignore.
  timer.body = std::string("\x09later", 6);
  EXPECT_TRUE(Content::decode(timer.encode()));
}

TEST(Content, AFileCarriesItsAttachment) {
  FileAttachment f;
  f.id = "0f6c4b1e9a7d2c3b5e8f1a0d4c7b2e9f";
  f.key = std::string(32, 'k');
  f.digest = std::string(32, 'd');
  f.plaintext_size = 3;
  f.ciphertext_size = attachment_ciphertext_size(3);
  f.name = "a.txt";
  f.media_type = "text/plain";
  Content file = sample();
  file.type = ContentType::kFile;
  file.body = f.encode();
  file.expires_in = 60;
  const auto decoded = Content::decode(file.encode());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->type, ContentType::kFile);
  EXPECT_EQ(decoded->expires_in, 60u);
  const auto carried = decoded->file();
  ASSERT_TRUE(carried);
  EXPECT_EQ(carried->id, f.id);
  EXPECT_EQ(carried->key, f.key);
  EXPECT_EQ(carried->name, "a.txt");

  // A file message whose body is not an attachment is not an encoding.
  file.body = "see you at 8";
  EXPECT_FALSE(Content::decode(file.encode()));
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
