#include "service/attachment_upload.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xchat {

namespace {

// Writeback is started every this many bytes, so the sync at finish has little left to
// wait for and an upload does not fill the page cache with dirty pages.
constexpr std::int64_t kWritebackBytes = 8 << 20;

}  // namespace

UploadLocks::Lock::~Lock() {
  if (locks_ == nullptr) return;
  std::lock_guard lock(locks_->mu_);
  locks_->held_.erase(id_);
}

std::optional<UploadLocks::Lock> UploadLocks::try_lock(std::string_view id) {
  std::lock_guard lock(mu_);
  if (!held_.emplace(id).second) return std::nullopt;
  return std::optional<Lock>(std::in_place, *this, std::string(id));
}

Status AttachmentUpload::append(const char* data, std::size_t n) {
  if (offset_ + static_cast<std::int64_t>(n) > size_) {
    // Best effort: failing to cut back leaves bytes a later request overwrites anyway.
    if (::ftruncate(fd_.get(), start_) == 0) offset_ = start_;
    return Status(
        ErrorCode::kFileTooLarge,
        "the body goes past the attachment's declared size of " + std::to_string(size_) + " bytes");
  }
  if (Status s = gate_->admit(); !s) return s;
  while (n > 0) {
    const ssize_t written = ::pwrite(fd_.get(), data, n, offset_);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (!store::is_out_of_space(errno)) {
        return Status(ErrorCode::kInternal,
                      std::string("writing an attachment: ") + std::strerror(errno));
      }
      gate_->refresh();
      return Status(ErrorCode::kStorageFull,
                    std::string("the server's storage is full (") + std::strerror(errno) +
                        "): the bytes before this offset are kept; resume once space returns");
    }
    data += written;
    n -= static_cast<std::size_t>(written);
    offset_ += written;
    unflushed_ += written;
  }
  if (unflushed_ >= kWritebackBytes) {
    ::sync_file_range(fd_.get(), offset_ - unflushed_, unflushed_, SYNC_FILE_RANGE_WRITE);
    unflushed_ = 0;
  }
  return Status::ok();
}

}  // namespace xchat
