#include "messenger/sealed_file_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "crypto/attachment_format.hpp"
#include "xchat/error_code.hpp"

namespace xchat::client {

Result<std::unique_ptr<SealedFileReader>> SealedFileReader::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Status(ErrorCode::kNotFound, "cannot read " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(ErrorCode::kBadRequest, path + " is not a regular file");
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > kMaxAttachmentPlaintextBytes) {
    ::close(fd);
    return Status(ErrorCode::kBadRequest, path + " is too large to send");
  }
  std::unique_ptr<SealedFileReader> reader(new SealedFileReader(fd, path, size));
  if (Status s = reader->restart(); !s) return s;
  return reader;
}

SealedFileReader::SealedFileReader(int fd, std::string path, std::uint64_t plaintext_size)
    : fd_(fd), path_(std::move(path)), plaintext_size_(plaintext_size) {}

SealedFileReader::~SealedFileReader() {
  sodium_memzero(plaintext_.data(), plaintext_.size());
  ::close(fd_);
}

std::uint64_t SealedFileReader::ciphertext_size() const {
  return attachment_ciphertext_size(plaintext_size_);
}

Status SealedFileReader::restart() {
  if (::lseek(fd_, 0, SEEK_SET) != 0) {
    return Status(ErrorCode::kInternal, "cannot read " + path_ + ": " + std::strerror(errno));
  }
  encryptor_.rewind();
  crypto_generichash_init(&digest_, nullptr, 0, kAttachmentDigestBytes);
  read_ = 0;
  header_sent_ = false;
  done_ = false;
  return Status::ok();
}

Result<std::string_view> SealedFileReader::next() {
  if (done_) return std::string_view();
  if (!header_sent_) {
    header_sent_ = true;
    ciphertext_ = encryptor_.header();
  } else {
    const auto want = static_cast<std::size_t>(
        std::min<std::uint64_t>(kAttachmentChunkBytes, plaintext_size_ - read_));
    plaintext_.resize(want);
    std::size_t got = 0;
    while (got < want) {
      const ssize_t n = ::read(fd_, plaintext_.data() + got, want - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        return Status(ErrorCode::kInternal, "cannot read " + path_ + ": " + std::strerror(errno));
      }
      if (n == 0) return Status(ErrorCode::kInternal, path_ + " got shorter while it was sent");
      got += static_cast<std::size_t>(n);
    }
    read_ += want;
    done_ = read_ == plaintext_size_;
    ciphertext_ = encryptor_.seal_chunk(plaintext_, done_);
  }
  crypto_generichash_update(&digest_, reinterpret_cast<const unsigned char*>(ciphertext_.data()),
                            ciphertext_.size());
  return std::string_view(ciphertext_);
}

Result<std::string> SealedFileReader::digest() {
  while (!done_) {
    if (auto piece = next(); !piece) return piece.status();
  }
  std::string out(kAttachmentDigestBytes, '\0');
  crypto_generichash_state copy = digest_;  // the pass's digest stays usable
  crypto_generichash_final(&copy, reinterpret_cast<unsigned char*>(out.data()), out.size());
  return out;
}

}  // namespace xchat::client
