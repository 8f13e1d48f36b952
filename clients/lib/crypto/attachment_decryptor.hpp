#pragma once

#include <sodium.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/crypto_error.hpp"

namespace xchat::client {

// Decrypts one attachment as its ciphertext arrives, in pieces of any size, and decides
// whether it is the one its message describes: every chunk authenticates, the last one
// and only it carries the final tag, there are exactly as many bytes as the plaintext size
// implies, and their BLAKE2b-256 digest is the message's. It buffers at most one chunk.
// Plaintext comes out chunk by chunk, each authenticated, but the file as a whole is
// verified only by finish(): keep what update() gives out of sight until then.
// Not thread-safe: one owner. Key material is wiped on destruction.
class AttachmentDecryptor {
 public:
  // REQUIRES: key.size() == kAttachmentKeyBytes, plaintext_size <=
  // kMaxAttachmentPlaintextBytes (both as a decoded FileAttachment has them).
  AttachmentDecryptor(std::string_view key, std::uint64_t plaintext_size);
  ~AttachmentDecryptor();
  AttachmentDecryptor(const AttachmentDecryptor&) = delete;
  AttachmentDecryptor& operator=(const AttachmentDecryptor&) = delete;

  // Takes the next ciphertext bytes and appends the plaintext of every chunk they complete
  // to `plaintext`. Nothing on success; else kUndecryptable (a chunk failed
  // authentication: tampered), kMalformed (a final tag before the end, or bytes past it),
  // kTruncated (the last chunk is not tagged final). An error is final: every later call
  // returns it again.
  std::optional<CryptoError> update(std::string_view ciphertext, std::string& plaintext);

  // After the last byte: nothing when the stream was whole and its digest is `digest`;
  // else the update() error there was, kTruncated (bytes are missing) or kDigestMismatch.
  // Later calls give the same answer; update() must not follow.
  std::optional<CryptoError> finish(std::string_view digest);

  // Ciphertext bytes taken so far.
  std::uint64_t received() const { return received_; }

 private:
  // How long the piece being collected is: the header, then each chunk in turn.
  std::size_t piece_size() const;
  std::optional<CryptoError> open_piece(std::string& plaintext);

  // Constant after construction.
  std::string key_;
  std::uint64_t plaintext_size_;
  std::uint64_t chunks_;

  crypto_secretstream_xchacha20poly1305_state state_{};
  crypto_generichash_state digest_{};
  std::string piece_;  // the header or chunk being collected
  bool header_done_ = false;
  std::uint64_t chunks_done_ = 0;
  std::uint64_t received_ = 0;
  std::optional<CryptoError> error_;
  bool verified_ = false;  // finish() found the stream whole and its digest right
};

}  // namespace xchat::client
