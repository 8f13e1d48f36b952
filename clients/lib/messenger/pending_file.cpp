#include "messenger/pending_file.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "xchat/error_code.hpp"

namespace xchat::client {

namespace {

Status io_error(const std::string& what, const std::string& path) {
  return Status(ErrorCode::kInternal, what + " " + path + ": " + std::strerror(errno));
}

Status exists(const std::string& path) {
  return Status(ErrorCode::kBadRequest, path + " exists already (--force replaces it)");
}

}  // namespace

Result<std::unique_ptr<PendingFile>> PendingFile::create(const std::string& path, bool replace) {
  struct stat st {};
  if (!replace && ::lstat(path.c_str(), &st) == 0) return exists(path);
  const std::filesystem::path target(path);
  const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string temp = (dir / ("." + target.filename().string() + ".xchat-XXXXXX")).string();
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);  // mode 0600
  if (fd < 0) return io_error("cannot write in", dir.string());
  return std::unique_ptr<PendingFile>(new PendingFile(path, temp, fd, replace));
}

PendingFile::PendingFile(std::string path, std::string temp_path, int fd, bool replace)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), replace_(replace), fd_(fd) {}

PendingFile::~PendingFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(temp_path_.c_str());
}

Status PendingFile::write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot write", path_);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::ok();
}

Status PendingFile::commit() {
  if (::fsync(fd_) != 0) return io_error("cannot write", path_);
  // RENAME_NOREPLACE makes "not over an existing file" one atomic step; a file system
  // without it gets link(), which never replaces either.
  int renamed = replace_ ? ::rename(temp_path_.c_str(), path_.c_str())
                         : ::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, path_.c_str(),
                                       RENAME_NOREPLACE);
  if (renamed != 0 && !replace_ && errno == EINVAL) {
    renamed = ::link(temp_path_.c_str(), path_.c_str());
    if (renamed == 0) ::unlink(temp_path_.c_str());
  }
  if (renamed != 0) return errno == EEXIST ? exists(path_) : io_error("cannot write", path_);
  ::close(fd_);
  fd_ = -1;
  return Status::ok();
}

}  // namespace xchat::client
