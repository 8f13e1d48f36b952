#include "crypto/file_attachment.hpp"

#include <gtest/gtest.h>

#include "crypto/attachment_format.hpp"

namespace xchat::client {
namespace {

FileAttachment sample() {
  FileAttachment f;
  f.id = "0f6c4b1e9a7d2c3b5e8f1a0d4c7b2e9f";
  f.key = std::string(32, 'k');
  f.digest = std::string(32, 'd');
  f.plaintext_size = 1048576;
  f.ciphertext_size = attachment_ciphertext_size(f.plaintext_size);
  f.name = "report 2024.pdf";
  f.media_type = "application/pdf";
  return f;
}

TEST(FileAttachment, RoundTrips) {
  const auto decoded = FileAttachment::decode(sample().encode());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->id, sample().id);
  EXPECT_EQ(decoded->key, sample().key);
  EXPECT_EQ(decoded->digest, sample().digest);
  EXPECT_EQ(decoded->ciphertext_size, sample().ciphertext_size);
  EXPECT_EQ(decoded->plaintext_size, 1048576u);
  EXPECT_EQ(decoded->name, "report 2024.pdf");
  EXPECT_EQ(decoded->media_type, "application/pdf");
}

TEST(FileAttachment, TheEncodingIsFieldsUnderItsLabel) {
  const std::string encoded = sample().encode();
  EXPECT_EQ(encoded.substr(0, 14), std::string("xchat-file-v1\0", 14));
  EXPECT_EQ(encoded.substr(14, 4 + 32), std::string("\0\0\0\x20", 4) + sample().id);
}

TEST(FileAttachment, RefusesWhatCouldMisleadTheReceiver) {
  auto refused = [](auto change) {
    FileAttachment f = sample();
    change(f);
    return !FileAttachment::decode(f.encode());
  };
  EXPECT_TRUE(refused([](FileAttachment& f) { f.ciphertext_size += 1; }));
  EXPECT_TRUE(refused([](FileAttachment& f) { f.plaintext_size -= 1; }));
  EXPECT_TRUE(refused([](FileAttachment& f) { f.id = "0F6C4B1E9A7D2C3B5E8F1A0D4C7B2E9F"; }));
  EXPECT_TRUE(refused([](FileAttachment& f) { f.id.pop_back(); }));
  EXPECT_TRUE(refused([](FileAttachment& f) { f.key.pop_back(); }));
  EXPECT_TRUE(refused([](FileAttachment& f) { f.digest += "x"; }));
  EXPECT_TRUE(refused([](FileAttachment& f) { f.name = "../../.bashrc"; }));
  EXPECT_TRUE(refused([](FileAttachment& f) { f.name = ".."; }));
  EXPECT_TRUE(refused([](FileAttachment& f) { f.name = ""; }));
  EXPECT_TRUE(refused([](FileAttachment& f) { f.name = std::string("a\0b", 3); }));
  EXPECT_TRUE(refused([](FileAttachment& f) { f.media_type = "text/plain; charset=utf-8"; }));
  EXPECT_TRUE(refused([](FileAttachment& f) { f.media_type = ""; }));
  EXPECT_FALSE(FileAttachment::decode(sample().encode() + "x"));
}

}  // namespace
}  // namespace xchat::client
