#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "service/clock.hpp"

namespace xchat {

// Token buckets keyed by a string (an IP address, an account): `burst` tokens, refilled
// evenly so that `burst` more are available after each `period`. Thread-safe.
//
// Memory is bounded: past `max_keys` buckets, the ones that have refilled completely (and
// so carry no information) are dropped; if none has, the oldest-filled are kept and the
// new key is refused, which errs on the side of limiting an attacker spraying keys.
class RateLimiter {
 public:
  struct Rate {
    double burst = 1;
    std::chrono::seconds period{60};

    // The config's limits are counts per minute or per hour.
    static Rate per_minute(std::int64_t n) {
      return {static_cast<double>(n), std::chrono::minutes(1)};
    }
    static Rate per_hour(std::int64_t n) { return {static_cast<double>(n), std::chrono::hours(1)}; }
  };

  // The key of a per-account bucket.
  static std::string account_key(std::int64_t account_id) { return std::to_string(account_id); }

  explicit RateLimiter(const Clock& clock, std::size_t max_keys = 100'000)
      : clock_(clock), max_keys_(max_keys) {}

  // Takes one token; false (and nothing taken) when the bucket is empty.
  bool try_acquire(const std::string& key, Rate rate);
  // Whether a token is available, without taking it.
  bool allowed(const std::string& key, Rate rate);

  std::size_t size() const;

 private:
  struct Bucket {
    double tokens;
    std::chrono::system_clock::time_point updated;
  };

  // REQUIRES: mu_ held. Null when the table is full of non-refilled buckets.
  Bucket* refill(const std::string& key, Rate rate);
  void prune(Rate rate);

  const Clock& clock_;
  const std::size_t max_keys_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

}  // namespace xchat
