#include "load/temp_dir.hpp"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

namespace xchat::bench {

TempDir::TempDir(std::string_view prefix) {
  const std::string pattern =
      (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + pattern);
  path_ = buffer.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace xchat::bench
