#include "load/scenario.hpp"

#include <atomic>
#include <cmath>
#include <iostream>
#include <thread>

namespace xchat::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Lock-free, so the signal handler may set it.
std::atomic<bool> g_interrupted{false};
std::atomic<bool> g_wind_down{false};
static_assert(std::atomic<bool>::is_always_lock_free);

constexpr auto kPollInterval = std::chrono::milliseconds(10);
// Reading /proc at every poll would add to the generator CPU time being measured.
constexpr auto kServerCheckInterval = std::chrono::milliseconds(250);

}  // namespace

void request_interrupt() { g_interrupted.store(true); }

bool interrupted() { return g_interrupted.load(); }

void request_wind_down() { g_wind_down.store(true); }

bool wind_down_requested() { return g_wind_down.load(); }

std::string wait_until(const std::function<bool()>& done, Clock::time_point deadline,
                       std::string_view what, pid_t server,
                       const std::function<void()>& each_second) {
  auto next_report = Clock::now() + std::chrono::seconds(1);
  auto next_server_check = Clock::now();
  for (;;) {
    if (done()) return "";
    if (interrupted()) return "interrupted";
    const auto now = Clock::now();
    if (now >= next_server_check) {
      if (!process_alive(server)) {
        return "the server process (pid " + std::to_string(server) + ") exited";
      }
      next_server_check = now + kServerCheckInterval;
    }
    if (now >= deadline) return "timed out waiting for " + std::string(what);
    if (each_second && now >= next_report) {
      each_second();
      next_report += std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

Clock::time_point phase_deadline(const Settings& settings) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(settings.timeout));
}

double round_to(double value, int decimals) {
  // Dividing by an exact power of ten gives the double nearest to the decimal, which JSON
  // then prints without a tail of digits.
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

void progress(std::string_view line) { std::cerr << "xchat-bench: " << line << std::endl; }

}  // namespace xchat::bench
