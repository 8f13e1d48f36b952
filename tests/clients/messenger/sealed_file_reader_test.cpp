#include "messenger/sealed_file_reader.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <filesystem>

#include "crypto/attachment_decryptor.hpp"
#include "crypto/attachment_format.hpp"
#include "support/temp_dir.hpp"

namespace xchat::client {
namespace {

using ::xchat::testing::TempDir;

std::string pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i * 7 + i / 1000);
  return out;
}

// One whole pass of `reader`, from where it is.
std::string read_to_end(SealedFileReader& reader) {
  std::string all;
  for (;;) {
    auto piece = reader.next();
    EXPECT_TRUE(piece) << (piece ? "" : piece.status().message());
    if (!piece || piece->empty()) return all;
    EXPECT_LE(piece->size(), kAttachmentChunkBytes + kAttachmentChunkOverhead);
    all.append(*piece);
  }
}

std::string blake2b(std::string_view bytes) {
  std::string out(kAttachmentDigestBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr,
                     0);
  return out;
}

TEST(SealedFileReader, GivesTheCiphertextAndItsDigestAndOpensAgain) {
  TempDir dir("xchat-sealed-file");
  const std::string plaintext = pattern(3 * kAttachmentChunkBytes + 100);
  auto reader = SealedFileReader::open(dir.write("f", plaintext));
  ASSERT_TRUE(reader) << reader.status().message();
  EXPECT_EQ((*reader)->plaintext_size(), plaintext.size());
  const std::string ciphertext = read_to_end(**reader);
  EXPECT_EQ(ciphertext.size(), (*reader)->ciphertext_size());
  EXPECT_EQ(ciphertext.size(), attachment_ciphertext_size(plaintext.size()));
  const auto digest = (*reader)->digest();
  ASSERT_TRUE(digest);
  EXPECT_EQ(*digest, blake2b(ciphertext));

  AttachmentDecryptor d((*reader)->key(), plaintext.size());
  std::string opened;
  EXPECT_FALSE(d.update(ciphertext, opened));
  EXPECT_FALSE(d.finish(*digest));
  EXPECT_EQ(opened, plaintext);
}

TEST(SealedFileReader, ARestartGivesTheSameBytesAndTheDigestNeedsNoSecondPass) {
  TempDir dir("xchat-sealed-file");
  auto reader = SealedFileReader::open(dir.write("f", pattern(2 * kAttachmentChunkBytes + 1)));
  ASSERT_TRUE(reader);
  const std::string first = read_to_end(**reader);
  ASSERT_TRUE((*reader)->restart());
  // Part of a pass (an upload cut short), then from the start again.
  ASSERT_TRUE((*reader)->next());
  ASSERT_TRUE((*reader)->next());
  ASSERT_TRUE((*reader)->restart());
  EXPECT_EQ(read_to_end(**reader), first);
  ASSERT_TRUE((*reader)->restart());
  ASSERT_TRUE((*reader)->next());
  // digest() reads the pass on to its end.
  EXPECT_EQ((*reader)->digest().value(), blake2b(first));
}

TEST(SealedFileReader, AnEmptyFileIsAHeaderAndOneFinalChunk) {
  TempDir dir("xchat-sealed-file");
  auto reader = SealedFileReader::open(dir.write("empty", ""));
  ASSERT_TRUE(reader);
  EXPECT_EQ(read_to_end(**reader).size(), kAttachmentHeaderBytes + kAttachmentChunkOverhead);
}

TEST(SealedFileReader, RefusesWhatIsNoFileAndAFileThatShrinks) {
  TempDir dir("xchat-sealed-file");
  auto missing = SealedFileReader::open(dir.file("missing"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  auto directory = SealedFileReader::open(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.status().code(), ErrorCode::kBadRequest);

  const std::string path = dir.write("shrinks", pattern(3 * kAttachmentChunkBytes));
  auto reader = SealedFileReader::open(path);
  ASSERT_TRUE(reader);
  std::filesystem::resize_file(path, kAttachmentChunkBytes);
  Status failed;
  for (int i = 0; i < 5 && failed; ++i) {
    if (auto piece = (*reader)->next(); !piece) failed = piece.status();
  }
  EXPECT_FALSE(failed);
  EXPECT_NE(failed.message().find("got shorter"), std::string::npos) << failed.message();
}

}  // namespace
}  // namespace xchat::client
