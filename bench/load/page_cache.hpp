#pragma once

#include <string>

namespace xchat::bench {

// Drops a file's pages from the kernel's page cache (posix_fadvise DONTNEED, after
// fdatasync: dirty pages cannot be dropped), so the next process to read it reads the
// disk, as after a reboot. Needs no privilege and touches no other file, unlike
// /proc/sys/vm/drop_caches. Returns false when the file exists but could not be evicted;
// a missing file has nothing to evict.
bool evict_from_page_cache(const std::string& path);

}  // namespace xchat::bench
