#include "store/attachment_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "store/free_space_gate.hpp"
#include "xchat/hex.hpp"

namespace xchat::store {

namespace {

Status os_error(std::string_view what, const std::string& path) {
  std::string message(what);
  message += ' ';
  message += path;
  message += ": ";
  message += std::strerror(errno);
  return Status(is_out_of_space(errno) ? ErrorCode::kStorageFull : ErrorCode::kInternal,
                std::move(message));
}

Status sync_path(const std::string& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd) return os_error("open", path);
  if (::fsync(fd.get()) != 0) return os_error("fsync", path);
  return Status::ok();
}

}  // namespace

AttachmentFiles AttachmentFiles::under(std::string_view data_dir) {
  std::string dir(data_dir);
  dir += "/attachments";
  return AttachmentFiles(std::move(dir));
}

Status AttachmentFiles::create_dir() const {
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) return os_error("mkdir", dir_);
  return Status::ok();
}

std::string AttachmentFiles::path(std::string_view id) const {
  std::string out = dir_;
  out += '/';
  out += hex_encode(id);
  return out;
}

Result<std::int64_t> AttachmentFiles::stored_bytes(std::string_view id) const {
  const std::string p = path(id);
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::int64_t{0};
    return os_error("stat", p);
  }
  return static_cast<std::int64_t>(st.st_size);
}

Result<UniqueFd> AttachmentFiles::open_for_writing(std::string_view id) const {
  const std::string p = path(id);
  UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return os_error("open", p);
  return fd;
}

Result<UniqueFd> AttachmentFiles::open_for_reading(std::string_view id) const {
  const std::string p = path(id);
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return Status(ErrorCode::kNotFound, "no such attachment");
    return os_error("open", p);
  }
  return fd;
}

Status AttachmentFiles::make_durable(std::string_view id) const {
  const std::string p = path(id);
  {
    UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return os_error("open", p);
    if (::fsync(fd.get()) != 0) return os_error("fsync", p);
  }
  return sync_path(dir_, O_RDONLY | O_DIRECTORY);
}

Status AttachmentFiles::remove(std::string_view id) const {
  const std::string p = path(id);
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) return os_error("unlink", p);
  return Status::ok();
}

Result<std::int64_t> AttachmentFiles::remove_unknown(
    const std::function<Result<bool>(std::string_view id)>& known) const {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(dir_.c_str()), ::closedir);
  if (!dir) {
    if (errno == ENOENT) return std::int64_t{0};
    return os_error("opendir", dir_);
  }
  std::int64_t removed = 0;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    const auto id = hex_decode(name);
    if (id) {
      auto keep = known(*id);
      if (!keep) return keep.status();
      if (*keep) continue;
    }
    const std::string p = dir_ + "/" + std::string(name);
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) return os_error("unlink", p);
    ++removed;
  }
  return removed;
}

}  // namespace xchat::store
