#include "crypto/attachment_decryptor.hpp"

#include <algorithm>

#include "crypto/attachment_format.hpp"

namespace xchat::client {

AttachmentDecryptor::AttachmentDecryptor(std::string_view key, std::uint64_t plaintext_size)
    : key_(key), plaintext_size_(plaintext_size), chunks_(attachment_chunk_count(plaintext_size)) {
  crypto_generichash_init(&digest_, nullptr, 0, kAttachmentDigestBytes);
  piece_.reserve(kAttachmentChunkBytes + kAttachmentChunkOverhead);
}

AttachmentDecryptor::~AttachmentDecryptor() {
  sodium_memzero(key_.data(), key_.size());
  sodium_memzero(&state_, sizeof state_);
}

std::size_t AttachmentDecryptor::piece_size() const {
  if (!header_done_) return kAttachmentHeaderBytes;
  const std::uint64_t start = chunks_done_ * kAttachmentChunkBytes;
  return static_cast<std::size_t>(
             std::min<std::uint64_t>(kAttachmentChunkBytes, plaintext_size_ - start)) +
         kAttachmentChunkOverhead;
}

std::optional<CryptoError> AttachmentDecryptor::update(std::string_view ciphertext,
                                                       std::string& plaintext) {
  while (!error_ && !ciphertext.empty()) {
    if (chunks_done_ == chunks_) {
      error_ = CryptoError::kMalformed;  // bytes after the final chunk
      break;
    }
    const std::size_t take = std::min(piece_size() - piece_.size(), ciphertext.size());
    piece_.append(ciphertext.substr(0, take));
    crypto_generichash_update(&digest_, reinterpret_cast<const unsigned char*>(ciphertext.data()),
                              take);
    received_ += take;
    ciphertext.remove_prefix(take);
    if (piece_.size() == piece_size()) error_ = open_piece(plaintext);
  }
  return error_;
}

std::optional<CryptoError> AttachmentDecryptor::open_piece(std::string& plaintext) {
  const auto* in = reinterpret_cast<const unsigned char*>(piece_.data());
  if (!header_done_) {
    header_done_ = true;
    const int opened = crypto_secretstream_xchacha20poly1305_init_pull(
        &state_, in, reinterpret_cast<const unsigned char*>(key_.data()));
    piece_.clear();
    return opened == 0 ? std::nullopt : std::optional(CryptoError::kUndecryptable);
  }
  const std::size_t start = plaintext.size();
  plaintext.resize(start + piece_.size() - kAttachmentChunkOverhead);
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(
          &state_, reinterpret_cast<unsigned char*>(plaintext.data() + start), nullptr, &tag, in,
          piece_.size(), nullptr, 0) != 0) {
    plaintext.resize(start);
    return CryptoError::kUndecryptable;
  }
  piece_.clear();
  const bool last = ++chunks_done_ == chunks_;
  const bool final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  // secretstream authenticates each chunk, not where the stream ends: a receiver that
  // does not insist on the final tag in the last place takes a prefix for the whole file.
  if (last && !final) return CryptoError::kTruncated;
  if (!last && final) return CryptoError::kMalformed;
  return std::nullopt;
}

std::optional<CryptoError> AttachmentDecryptor::finish(std::string_view digest) {
  if (error_ || verified_) return error_;
  if (chunks_done_ != chunks_) return error_ = CryptoError::kTruncated;
  unsigned char computed[kAttachmentDigestBytes];
  crypto_generichash_final(&digest_, computed, sizeof computed);
  if (digest.size() != sizeof computed ||
      sodium_memcmp(computed, digest.data(), sizeof computed) != 0) {
    return error_ = CryptoError::kDigestMismatch;
  }
  verified_ = true;
  return std::nullopt;
}

}  // namespace xchat::client
