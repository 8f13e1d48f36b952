#pragma once

#include <atomic>
#include <memory>

#include "app/config.hpp"

namespace xchat {

// The configuration in force. SIGHUP publishes a new snapshot; readers take the current
// one per use and keep it for the duration of that use. Thread-safe.
class Settings {
 public:
  explicit Settings(Config initial)
      : current_(std::make_shared<const Config>(std::move(initial))) {}

  std::shared_ptr<const Config> get() const { return current_.load(std::memory_order_acquire); }
  void set(Config next) {
    current_.store(std::make_shared<const Config>(std::move(next)), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const Config>> current_;
};

}  // namespace xchat
