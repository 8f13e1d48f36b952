#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "store/free_space_gate.hpp"
#include "store/unique_fd.hpp"
#include "xchat/status.hpp"

namespace xchat {

// The attachments being written right now, one writer each: a second PATCH of the same
// upload would interleave its bytes with the first. Thread-safe.
class UploadLocks {
 public:
  // Held while an attachment is being written; lets go when destroyed.
  class Lock {
   public:
    Lock(UploadLocks& locks, std::string id) : locks_(&locks), id_(std::move(id)) {}
    Lock(Lock&& other) noexcept
        : locks_(std::exchange(other.locks_, nullptr)), id_(std::move(other.id_)) {}
    Lock& operator=(Lock&&) = delete;
    Lock(const Lock&) = delete;
    ~Lock();

   private:
    UploadLocks* locks_;
    std::string id_;
  };

  // Nothing when another request holds the attachment.
  std::optional<Lock> try_lock(std::string_view id);

 private:
  std::mutex mu_;
  std::set<std::string, std::less<>> held_;  // guarded by mu_
};

// One request's bytes going into an attachment's file, from the stored size on. Bytes are
// written as they arrive, so an interrupted request keeps what reached the disk and the
// client resumes from there; the file is synced when the upload finishes. Owned by the
// HTTP exchange that streams the body; holds the attachment's upload lock. `gate` must
// outlive it.
class AttachmentUpload {
 public:
  AttachmentUpload(UploadLocks::Lock lock, store::UniqueFd fd, std::int64_t size,
                   std::int64_t offset, store::FreeSpaceGate& gate)
      : lock_(std::move(lock)),
        fd_(std::move(fd)),
        gate_(&gate),
        size_(size),
        start_(offset),
        offset_(offset) {}

  std::int64_t size() const { return size_; }
  std::int64_t offset() const { return offset_; }

  // Appends `n` bytes. kFileTooLarge when they would pass the declared size: then the
  // file is cut back to where this request started, so a refused request leaves nothing
  // half-written. kStorageFull when the gate says the disk is (nearly) full or the write
  // found it so: the bytes stored until then stay, and the upload resumes from there.
  Status append(const char* data, std::size_t n);

 private:
  UploadLocks::Lock lock_;
  store::UniqueFd fd_;
  store::FreeSpaceGate* gate_;
  const std::int64_t size_;
  const std::int64_t start_;
  std::int64_t offset_;
  std::int64_t unflushed_ = 0;  // bytes written since writeback was last started
};

}  // namespace xchat
