#pragma once

#include <sodium.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "crypto/attachment_encryptor.hpp"
#include "xchat/status.hpp"

namespace xchat::client {

// A file on disk read as its attachment ciphertext (crypto/attachment_format.hpp), under
// a fresh key: the header, then one chunk at a time, so a file of any size passes through
// one chunk's worth of memory. restart() goes back to the first byte and gives the same
// bytes again (an interrupted upload resumes by reading up to where the server is), and the
// digest of the whole ciphertext comes from the pass that reached the end.
// Not thread-safe: one owner.
class SealedFileReader {
 public:
  // Opens the regular file at `path`. kNotFound when it cannot be opened, kBadRequest when
  // it is not a regular file or is too large for an attachment.
  static Result<std::unique_ptr<SealedFileReader>> open(const std::string& path);
  ~SealedFileReader();
  SealedFileReader(const SealedFileReader&) = delete;
  SealedFileReader& operator=(const SealedFileReader&) = delete;

  std::uint64_t plaintext_size() const { return plaintext_size_; }
  std::uint64_t ciphertext_size() const;
  const std::string& key() const { return encryptor_.key(); }

  // Back to the first byte of the ciphertext.
  Status restart();
  // The next ciphertext bytes (valid until the next call), empty after the last; kInternal
  // when the file cannot be read or has changed size since it was opened.
  Result<std::string_view> next();
  // BLAKE2b-256 of the whole ciphertext; the current pass is read on to its end for it.
  Result<std::string> digest();

 private:
  SealedFileReader(int fd, std::string path, std::uint64_t plaintext_size);

  // Constant after construction.
  int fd_;
  std::string path_;
  std::uint64_t plaintext_size_;

  AttachmentEncryptor encryptor_;
  crypto_generichash_state digest_{};
  std::uint64_t read_ = 0;  // plaintext bytes encrypted in this pass
  bool header_sent_ = false;
  bool done_ = false;  // this pass gave its last chunk
  std::string plaintext_;
  std::string ciphertext_;  // what next() returned last
};

}  // namespace xchat::client
