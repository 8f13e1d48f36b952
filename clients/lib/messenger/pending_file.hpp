#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "xchat/status.hpp"

namespace xchat::client {

// A file that appears at its path only once it is complete and verified: written under a
// temporary name beside it (".NAME.xchat-XXXXXX", mode 0600), then renamed into place by
// commit(). Destroying it uncommitted removes the temporary file, so a download that fails
// verification leaves no plaintext behind. Not thread-safe: one owner.
class PendingFile {
 public:
  // Starts the file for `path`. Unless `replace`, kBadRequest ("exists") when something is
  // at `path` already; kInternal when the temporary file cannot be made.
  static Result<std::unique_ptr<PendingFile>> create(const std::string& path, bool replace);
  ~PendingFile();
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;

  const std::string& path() const { return path_; }

  // Appends `bytes`. kInternal when the disk refuses them.
  Status write(std::string_view bytes);
  // Flushes the file to disk and renames it to path(); without `replace`, never over a
  // file that appeared there meanwhile (kBadRequest). Nothing may be written after.
  Status commit();

 private:
  PendingFile(std::string path, std::string temp_path, int fd, bool replace);

  // Constant after construction.
  std::string path_;
  std::string temp_path_;
  bool replace_;

  int fd_;  // -1 once committed
};

}  // namespace xchat::client
