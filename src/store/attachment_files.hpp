#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "store/unique_fd.hpp"
#include "xchat/status.hpp"

namespace xchat::store {

// Where attachment ciphertext lives: one file per attachment, named by its id in hex, in
// <data_dir>/attachments (mode 0700, files 0600). Uploads append to the file in place; the
// bytes on disk are what an interrupted upload resumes from, so nothing but the file's
// size records progress. Methods are thread-safe (they share no state but the path).
class AttachmentFiles {
 public:
  explicit AttachmentFiles(std::string dir) : dir_(std::move(dir)) {}
  static AttachmentFiles under(std::string_view data_dir);

  const std::string& dir() const { return dir_; }
  Status create_dir() const;
  // `id` is the raw id (store::attachments::kIdBytes bytes).
  std::string path(std::string_view id) const;

  // Bytes stored so far; 0 when no byte was ever written.
  Result<std::int64_t> stored_bytes(std::string_view id) const;
  // For appending at an offset the caller chooses (pwrite), created when missing.
  Result<UniqueFd> open_for_writing(std::string_view id) const;
  // kNotFound when the file is missing.
  Result<UniqueFd> open_for_reading(std::string_view id) const;
  // Makes the file's bytes and its directory entry durable (an empty attachment's file is
  // created here).
  Status make_durable(std::string_view id) const;
  // A missing file is not an error.
  Status remove(std::string_view id) const;
  // Deletes every file in the directory whose name is not the id of a row `known` accepts
  // (left over from a crash between a row's deletion and its file's); returns how many.
  Result<std::int64_t> remove_unknown(
      const std::function<Result<bool>(std::string_view id)>& known) const;

 private:
  std::string dir_;
};

}  // namespace xchat::store
