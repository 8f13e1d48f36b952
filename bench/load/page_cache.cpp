#include "load/page_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace xchat::bench {

bool evict_from_page_cache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;
  const bool evicted = ::fdatasync(fd) == 0 && ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
  ::close(fd);
  return evicted;
}

}  // namespace xchat::bench
