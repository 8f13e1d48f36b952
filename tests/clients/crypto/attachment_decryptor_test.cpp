#include "crypto/attachment_decryptor.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <optional>

#include "crypto/attachment_encryptor.hpp"
#include "crypto/attachment_format.hpp"

namespace xchat::client {
namespace {

// A whole attachment, encrypted as a sender does it, with what its message would say.
struct Sealed {
  std::string key;
  std::string ciphertext;
  std::string digest;
};

Sealed seal(std::string_view plaintext) {
  AttachmentEncryptor e;
  Sealed s{e.key(), e.header(), std::string(kAttachmentDigestBytes, '\0')};
  std::size_t at = 0;
  do {
    const std::size_t n = std::min(kAttachmentChunkBytes, plaintext.size() - at);
    s.ciphertext += e.seal_chunk(plaintext.substr(at, n), at + n == plaintext.size());
    at += n;
  } while (at < plaintext.size());
  crypto_generichash(reinterpret_cast<unsigned char*>(s.digest.data()), s.digest.size(),
                     reinterpret_cast<const unsigned char*>(s.ciphertext.data()),
                     s.ciphertext.size(), nullptr, 0);
  return s;
}

std::string pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return out;
}

// Feeds `ciphertext` in pieces of `piece` bytes; the plaintext, or the first error met.
struct Opened {
  std::string plaintext;
  std::optional<CryptoError> error;
};

Opened open(const Sealed& s, std::uint64_t plaintext_size, std::string_view ciphertext,
            std::size_t piece = 1000) {
  AttachmentDecryptor d(s.key, plaintext_size);
  Opened out;
  for (std::size_t at = 0; at < ciphertext.size() && !out.error; at += piece) {
    out.error = d.update(ciphertext.substr(at, piece), out.plaintext);
  }
  if (!out.error) out.error = d.finish(s.digest);
  return out;
}

TEST(AttachmentDecryptor, RoundTripsEmptyTinyOneChunkAndManyChunks) {
  for (const std::size_t size :
       {std::size_t{0}, std::size_t{1}, kAttachmentChunkBytes - 1, kAttachmentChunkBytes,
        kAttachmentChunkBytes + 1, 3 * kAttachmentChunkBytes, 3 * kAttachmentChunkBytes + 12345}) {
    const std::string plaintext = pattern(size);
    const Sealed s = seal(plaintext);
    ASSERT_EQ(s.ciphertext.size(), attachment_ciphertext_size(size)) << size;
    for (const std::size_t piece : {std::size_t{1}, std::size_t{4096}, s.ciphertext.size()}) {
      if (piece == 1 && size > kAttachmentChunkBytes) continue;  // slow, and nothing new
      const Opened o = open(s, size, s.ciphertext, piece);
      EXPECT_FALSE(o.error) << size << " in pieces of " << piece << ": "
                            << to_string(o.error.value_or(CryptoError::kMalformed));
      EXPECT_EQ(o.plaintext, plaintext) << size;
    }
  }
}

TEST(AttachmentDecryptor, AFlippedByteAnywhereIsRefused) {
  const Sealed s = seal(pattern(2 * kAttachmentChunkBytes + 100));
  for (const std::size_t at :
       {std::size_t{0}, std::size_t{30}, kAttachmentChunkBytes + 60, s.ciphertext.size() - 1}) {
    std::string tampered = s.ciphertext;
    tampered[at] = static_cast<char>(tampered[at] ^ 0x01);
    const Opened o = open(s, 2 * kAttachmentChunkBytes + 100, tampered);
    EXPECT_EQ(o.error, CryptoError::kUndecryptable) << "byte " << at;
  }
}

TEST(AttachmentDecryptor, AStreamWithoutItsFinalChunkIsRefused) {
  const std::size_t size = 2 * kAttachmentChunkBytes + 100;
  const Sealed s = seal(pattern(size));
  const std::size_t first_two = kAttachmentHeaderBytes + 2 * (kAttachmentChunkBytes + 17);
  // The last chunk dropped, or cut in the middle of a chunk: bytes are missing.
  EXPECT_EQ(open(s, size, std::string_view(s.ciphertext).substr(0, first_two)).error,
            CryptoError::kTruncated);
  EXPECT_EQ(open(s, size, std::string_view(s.ciphertext).substr(0, first_two - 10)).error,
            CryptoError::kTruncated);
  EXPECT_EQ(open(s, size, "").error, CryptoError::kTruncated);
  // A receiver told the shorter size still refuses it: its last chunk is not tagged final.
  EXPECT_EQ(
      open(s, 2 * kAttachmentChunkBytes, std::string_view(s.ciphertext).substr(0, first_two)).error,
      CryptoError::kTruncated);
}

TEST(AttachmentDecryptor, BytesPastTheFinalChunkAreRefused) {
  const Sealed s = seal(pattern(10));
  EXPECT_EQ(open(s, 10, s.ciphertext + "x").error, CryptoError::kMalformed);
}

TEST(AttachmentDecryptor, AFinalTagBeforeTheEndIsRefused) {
  // A stream of one short final chunk, presented as the first of a longer file.
  AttachmentEncryptor e;
  const Sealed s{e.key(), e.header() + e.seal_chunk(pattern(kAttachmentChunkBytes), true), ""};
  EXPECT_EQ(open(s, kAttachmentChunkBytes + 5, s.ciphertext).error, CryptoError::kMalformed);
}

TEST(AttachmentDecryptor, ADigestThatDoesNotMatchIsRefused) {
  Sealed s = seal(pattern(5000));
  s.digest[0] = static_cast<char>(s.digest[0] ^ 0x80);
  EXPECT_EQ(open(s, 5000, s.ciphertext).error, CryptoError::kDigestMismatch);
  s.digest = "short";
  EXPECT_EQ(open(s, 5000, s.ciphertext).error, CryptoError::kDigestMismatch);
}

TEST(AttachmentDecryptor, TheWrongKeyOpensNothing) {
  Sealed s = seal(pattern(100));
  s.key = std::string(kAttachmentKeyBytes, 'k');
  const Opened o = open(s, 100, s.ciphertext);
  EXPECT_EQ(o.error, CryptoError::kUndecryptable);
  EXPECT_TRUE(o.plaintext.empty());
}

TEST(AttachmentDecryptor, AnErrorIsFinalAndCounted) {
  const Sealed s = seal(pattern(100));
  std::string tampered = s.ciphertext;
  tampered.back() = static_cast<char>(tampered.back() ^ 1);
  AttachmentDecryptor d(s.key, 100);
  std::string plaintext;
  EXPECT_EQ(d.update(tampered, plaintext), CryptoError::kUndecryptable);
  EXPECT_EQ(d.received(), tampered.size());
  EXPECT_EQ(d.finish(s.digest), CryptoError::kUndecryptable);
}

}  // namespace
}  // namespace xchat::client
