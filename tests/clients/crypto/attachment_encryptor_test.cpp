#include "crypto/attachment_encryptor.hpp"

#include <gtest/gtest.h>

#include "crypto/attachment_format.hpp"

namespace xchat::client {
namespace {

TEST(AttachmentEncryptor, SizesFollowFromThePlaintext) {
  EXPECT_EQ(attachment_chunk_count(0), 1u);
  EXPECT_EQ(attachment_chunk_count(1), 1u);
  EXPECT_EQ(attachment_chunk_count(kAttachmentChunkBytes), 1u);
  EXPECT_EQ(attachment_chunk_count(kAttachmentChunkBytes + 1), 2u);
  EXPECT_EQ(attachment_ciphertext_size(0), 24u + 17u);
  EXPECT_EQ(attachment_ciphertext_size(kAttachmentChunkBytes), 24u + 65536u + 17u);
  EXPECT_EQ(attachment_ciphertext_size(2 * kAttachmentChunkBytes + 5),
            24u + 2 * 65536u + 5u + 3 * 17u);
}

TEST(AttachmentEncryptor, EachChunkGrowsByTheOverhead) {
  AttachmentEncryptor e;
  EXPECT_EQ(e.key().size(), kAttachmentKeyBytes);
  EXPECT_EQ(e.header().size(), kAttachmentHeaderBytes);
  EXPECT_EQ(e.seal_chunk(std::string(kAttachmentChunkBytes, 'a'), false).size(),
            kAttachmentChunkBytes + kAttachmentChunkOverhead);
  EXPECT_EQ(e.seal_chunk("", true).size(), kAttachmentChunkOverhead);
}

TEST(AttachmentEncryptor, RewindGivesTheSameBytesAgain) {
  AttachmentEncryptor e;
  const std::string first = e.seal_chunk(std::string(kAttachmentChunkBytes, 'x'), false);
  const std::string second = e.seal_chunk("tail", true);
  e.rewind();
  EXPECT_EQ(e.seal_chunk(std::string(kAttachmentChunkBytes, 'x'), false), first);
  EXPECT_EQ(e.seal_chunk("tail", true), second);
}

TEST(AttachmentEncryptor, FreshKeysAndHeadersEachTime) {
  AttachmentEncryptor a;
  AttachmentEncryptor b;
  EXPECT_NE(a.key(), b.key());
  AttachmentEncryptor c(a.key());
  EXPECT_EQ(c.key(), a.key());
  // The same key with another header is another stream.
  EXPECT_NE(c.header(), a.header());
  EXPECT_NE(c.seal_chunk("same", true), a.seal_chunk("same", true));
}

}  // namespace
}  // namespace xchat::client
