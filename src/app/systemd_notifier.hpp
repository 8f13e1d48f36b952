#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace xchat {

// The sd_notify(3) protocol towards systemd (Type=notify). Every call is a no-op when
// NOTIFY_SOCKET is unset, so the daemon runs the same outside systemd. Thread-safe.
class SystemdNotifier {
 public:
  void ready(std::string_view status) const;
  void stopping() const;
  void reloading() const;
  void status(std::string_view status) const;
  void watchdog() const;
  // The interval at which watchdog() must be called (half of WatchdogSec), if enabled.
  std::optional<std::chrono::microseconds> watchdog_interval() const;
};

}  // namespace xchat
