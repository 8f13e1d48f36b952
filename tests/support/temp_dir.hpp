#pragma once

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace xchat::testing {

// A fresh directory under /tmp for one test, removed with everything in it by the
// destructor. Not copyable: a copy's destructor would remove the directory under the
// original. Construction throws std::runtime_error when the directory cannot be made.
class TempDir {
 public:
  // The directory is /tmp/PREFIX-XXXXXX, so a leftover one says which test made it.
  explicit TempDir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
    }
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    // Destructors must not throw; what cannot be removed stays behind in /tmp.
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::string& path() const { return path_; }

  // The path of `name` in the directory; nothing is created.
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // Writes `text` to `name` in the directory, replacing any earlier content, and returns
  // its path. Throws std::runtime_error when the file cannot be written, so a test never
  // runs against a file it did not get.
  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = file(name);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + path);
    return path;
  }

 private:
  std::string path_;
};

}  // namespace xchat::testing
