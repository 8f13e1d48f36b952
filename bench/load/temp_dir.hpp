#pragma once

#include <string>
#include <string_view>

namespace xchat::bench {

// A directory of the generator's own under $TMPDIR (or /tmp), removed with everything in
// it when this object goes. Not thread-safe; owns the directory it names.
class TempDir {
 public:
  // Creates "<temp>/<prefix>-XXXXXX". Throws std::runtime_error when it cannot.
  explicit TempDir(std::string_view prefix);
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace xchat::bench
