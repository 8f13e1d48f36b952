#include "app/systemd_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace xchat {

namespace {
void notify(const std::string& state) { sd_notify(0, state.c_str()); }
}  // namespace

void SystemdNotifier::ready(std::string_view status) const {
  notify("READY=1\nSTATUS=" + std::string(status));
}

void SystemdNotifier::stopping() const { notify("STOPPING=1\nSTATUS=shutting down"); }

void SystemdNotifier::reloading() const { notify("RELOADING=1"); }

void SystemdNotifier::status(std::string_view status) const {
  notify("STATUS=" + std::string(status));
}

void SystemdNotifier::watchdog() const { notify("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> SystemdNotifier::watchdog_interval() const {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace xchat
