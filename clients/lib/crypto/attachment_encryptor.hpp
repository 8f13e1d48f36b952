#pragma once

#include <sodium.h>

#include <string>
#include <string_view>

namespace xchat::client {

// Encrypts one attachment, chunk by chunk, in the format of crypto/attachment_format.hpp.
// secretstream has no randomness after its header, so the stream is a function of the key,
// the header and the plaintext: rewind() goes back to just after the header, and
// encrypting the same plaintext again gives the same bytes. That is how an interrupted
// upload resumes without keeping the ciphertext anywhere (secretstream's state after a
// chunk depends on every chunk before it, so there is no seeking into the middle).
// Not thread-safe: one owner. Key and states are wiped on destruction.
class AttachmentEncryptor {
 public:
  // A fresh random key and header.
  AttachmentEncryptor();
  // A given key (32 bytes) and a fresh header.
  explicit AttachmentEncryptor(std::string_view key);
  ~AttachmentEncryptor();
  AttachmentEncryptor(const AttachmentEncryptor&) = delete;
  AttachmentEncryptor& operator=(const AttachmentEncryptor&) = delete;

  const std::string& key() const { return key_; }
  // The first kAttachmentHeaderBytes of the ciphertext.
  const std::string& header() const { return header_; }

  // The ciphertext of the next chunk. REQUIRES: plaintext.size() <= kAttachmentChunkBytes,
  // and every chunk but the `last` one exactly kAttachmentChunkBytes long.
  std::string seal_chunk(std::string_view plaintext, bool last);

  // Back to the state right after the header: the chunks that follow are byte for byte
  // those the first pass made.
  void rewind();

 private:
  std::string key_;
  std::string header_;
  crypto_secretstream_xchacha20poly1305_state start_{};  // right after the header
  crypto_secretstream_xchacha20poly1305_state state_{};  // where the stream is now
};

}  // namespace xchat::client
