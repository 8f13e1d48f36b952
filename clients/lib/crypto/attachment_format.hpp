#pragma once

#include <sodium.h>

#include <cstddef>
#include <cstdint>

namespace xchat::client {

// The shape of an encrypted attachment (docs/crypto.md §10): libsodium's secretstream
// (XChaCha20-Poly1305) under a random key. The ciphertext is the stream's header, then one
// chunk per kAttachmentChunkBytes of plaintext (the last one shorter, or empty for an
// empty file), each kAttachmentChunkOverhead bytes longer than its plaintext; only the last
// is tagged final. So the ciphertext's size follows from the plaintext's, and an upload
// can declare it before a byte is encrypted.
inline constexpr std::size_t kAttachmentChunkBytes = 64 * 1024;
inline constexpr std::size_t kAttachmentHeaderBytes =
    crypto_secretstream_xchacha20poly1305_HEADERBYTES;
inline constexpr std::size_t kAttachmentChunkOverhead =
    crypto_secretstream_xchacha20poly1305_ABYTES;
inline constexpr std::size_t kAttachmentKeyBytes = crypto_secretstream_xchacha20poly1305_KEYBYTES;
// BLAKE2b-256 (crypto_generichash) of the whole ciphertext, header included.
inline constexpr std::size_t kAttachmentDigestBytes = 32;
// The largest plaintext a stream may hold: 2^40 bytes is far past any server's limit
// (2 GiB by default) and keeps every size computation below clear of overflow.
inline constexpr std::uint64_t kMaxAttachmentPlaintextBytes = std::uint64_t{1} << 40;

// How many chunks a plaintext of `plaintext_size` bytes takes: at least one, since the
// final tag must be carried by a chunk even when there is nothing to encrypt.
constexpr std::uint64_t attachment_chunk_count(std::uint64_t plaintext_size) {
  return plaintext_size == 0 ? 1
                             : (plaintext_size + kAttachmentChunkBytes - 1) / kAttachmentChunkBytes;
}

// The ciphertext size of a plaintext of `plaintext_size` bytes.
// REQUIRES: plaintext_size <= kMaxAttachmentPlaintextBytes.
constexpr std::uint64_t attachment_ciphertext_size(std::uint64_t plaintext_size) {
  return kAttachmentHeaderBytes + plaintext_size +
         attachment_chunk_count(plaintext_size) * kAttachmentChunkOverhead;
}

}  // namespace xchat::client
