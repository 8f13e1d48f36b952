#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace xchat::bench {

// Counts what went wrong during a run, by kind: an error code from a reply (e.g.
// "rate_limited"), or a generator-side kind such as "connection_lost". Thread-safe.
class ErrorTally {
 public:
  // `detail` says where it happened; only the first error's is kept, for the failure message.
  void add(std::string_view kind, std::string_view detail);

  std::uint64_t total() const { return total_.load(std::memory_order_relaxed); }
  // {"kind": count, ...}
  nlohmann::ordered_json by_kind() const;
  // "kind (detail)" of the first error, or "".
  std::string first() const;

 private:
  std::atomic<std::uint64_t> total_{0};
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t, std::less<>> counts_;  // guarded by mu_
  std::string first_;                                         // guarded by mu_
};

}  // namespace xchat::bench
