#include "store/free_space_gate.hpp"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "metrics/metrics.hpp"

namespace xchat::store {

bool is_out_of_space(int error) { return error == ENOSPC || error == EDQUOT || error == EFBIG; }

FreeSpaceGate::FreeSpaceGate(std::int64_t min_free_bytes,
                             std::chrono::milliseconds refresh_interval, Probe probe,
                             Metrics* metrics)
    : min_free_bytes_(min_free_bytes),
      refresh_interval_(refresh_interval),
      probe_(std::move(probe)),
      metrics_(metrics) {
  if (metrics_ != nullptr) {
    metrics_->storage_min_free_bytes.store(min_free_bytes_, std::memory_order_relaxed);
  }
  refresh();
}

FreeSpaceGate::Probe FreeSpaceGate::statvfs_probe(std::string dir) {
  return [dir = std::move(dir)]() -> Result<std::int64_t> {
    struct statvfs st {};
    if (::statvfs(dir.c_str(), &st) != 0) {
      return Status(ErrorCode::kInternal,
                    std::string("statvfs ") + dir + ": " + std::strerror(errno));
    }
    return static_cast<std::int64_t>(st.f_bavail) * static_cast<std::int64_t>(st.f_frsize);
  };
}

Status FreeSpaceGate::admit() {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto next = next_look_.load(std::memory_order_relaxed);
  if (now >= next && next_look_.compare_exchange_strong(next, now + refresh_interval_.count(),
                                                        std::memory_order_relaxed)) {
    refresh();
  }
  if (!full()) return Status::ok();
  return Status(ErrorCode::kStorageFull,
                "the server's storage is full: it accepts no new data until space is freed; "
                "try again later");
}

void FreeSpaceGate::refresh() {
  next_look_.store(
      (std::chrono::steady_clock::now() + refresh_interval_).time_since_epoch().count(),
      std::memory_order_relaxed);
  const auto available = probe_();
  if (!available) {
    // Without a measurement the gate keeps its last verdict; writes that then fail for
    // lack of space still answer kStorageFull.
    if (!probe_failing_.exchange(true, std::memory_order_relaxed)) {
      spdlog::warn("cannot measure the free space of the data directory: {}",
                   available.status().message());
    }
    return;
  }
  probe_failing_.store(false, std::memory_order_relaxed);
  const bool now_full = *available < min_free_bytes_;
  if (metrics_ != nullptr) {
    metrics_->storage_free_bytes.store(*available, std::memory_order_relaxed);
    metrics_->storage_full.store(now_full ? 1 : 0, std::memory_order_relaxed);
  }
  if (full_.exchange(now_full, std::memory_order_relaxed) == now_full) return;
  if (now_full) {
    spdlog::warn(
        "storage full: {} bytes available in the data directory, under storage.min_free_bytes "
        "({}); sends, uploads and other writes that grow the store are refused (storage_full) "
        "until space is freed, deliveries and acknowledgements go on",
        *available, min_free_bytes_);
  } else {
    spdlog::info(
        "storage has room again: {} bytes available in the data directory; writes are "
        "accepted",
        *available);
  }
}

}  // namespace xchat::store
