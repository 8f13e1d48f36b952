#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace xchat {

// Wall-clock time, injected so that expiry and rate limits are tested without sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;

  std::int64_t unix_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }
  std::int64_t unix_millis() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
};

// A clock that moves only when told. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start)
      : ns_(start.time_since_epoch().count()) {}
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::system_clock::duration(ns_.load()));
  }
  void advance(std::chrono::system_clock::duration d) { ns_ += d.count(); }

 private:
  std::atomic<std::chrono::system_clock::duration::rep> ns_;
};

}  // namespace xchat
