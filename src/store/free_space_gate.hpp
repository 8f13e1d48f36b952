#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "xchat/status.hpp"

namespace xchat {
class Metrics;
}

namespace xchat::store {

// Whether an errno means the filesystem refused to grow a file: no space left (ENOSPC),
// a disk quota (EDQUOT) or a file-size limit (EFBIG). Writes failing so are kStorageFull,
// not kInternal: nothing is broken, and the same request succeeds once space returns.
bool is_out_of_space(int error);

// Keeps writes that grow the store out while the data directory's filesystem has less
// than a reserve available. The reserve is what keeps the server useful when the disk
// fills: acknowledgements and deletions still need a few pages of WAL, and deliveries
// need nothing but reads, so they go on while sends, uploads and registrations are
// refused with kStorageFull. Space that returns (files deleted, the volume grown) is
// noticed at the next look: no restart.
//
// The filesystem is looked at (statvfs) at most once per refresh interval, by whichever
// caller finds the last look too old, so admit() costs an atomic load on the message
// path. Every transition between full and not full is logged once (a warning, then an
// info line) and shown in the metrics. Thread-safe.
class FreeSpaceGate {
 public:
  // Bytes available to the server, or an error when they cannot be known.
  using Probe = std::function<Result<std::int64_t>()>;

  // `metrics` may be null. Looks at the filesystem once before returning, so a server
  // starting on a full disk says so at once.
  FreeSpaceGate(std::int64_t min_free_bytes, std::chrono::milliseconds refresh_interval,
                Probe probe, Metrics* metrics);
  FreeSpaceGate(const FreeSpaceGate&) = delete;
  FreeSpaceGate& operator=(const FreeSpaceGate&) = delete;

  // What statvfs says is available to unprivileged users on the filesystem of `dir`.
  static Probe statvfs_probe(std::string dir);

  // Ok while the last look found at least min_free_bytes available; kStorageFull with
  // an explanation for the client otherwise.
  Status admit();

  // Looks now instead of at the next interval: after a write failed for lack of space,
  // so the next admit() already refuses.
  void refresh();

  bool full() const { return full_.load(std::memory_order_relaxed); }
  std::int64_t min_free_bytes() const { return min_free_bytes_; }

 private:
  // Constant after construction.
  const std::int64_t min_free_bytes_;
  const std::chrono::steady_clock::duration refresh_interval_;
  const Probe probe_;
  Metrics* const metrics_;

  std::atomic<bool> full_{false};
  // steady_clock ticks after which the next admit() looks again; claimed by one caller.
  std::atomic<std::chrono::steady_clock::rep> next_look_{0};
  std::atomic<bool> probe_failing_{false};  // the last look could not tell (logged once)
};

}  // namespace xchat::store
