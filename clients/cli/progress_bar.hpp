#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace xchat::client::cli {

// A transfer's progress on the terminal: one line on standard error, redrawn in place at
// most ten times a second — label, bar, percentage, bytes, rate and time left. Draws
// nothing when standard error is not a terminal (scripts, tests), so output stays clean.
// Not thread-safe: one owner.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  // Ends the line, so what is printed next starts on a fresh one.
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(std::uint64_t done, std::uint64_t total);

 private:
  void draw(std::uint64_t done, std::uint64_t total);

  // Constant after construction.
  std::string label_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;

  std::chrono::steady_clock::time_point last_draw_{};
  std::uint64_t first_done_ = UINT64_MAX;  // where this run started (a resumed transfer
                                           // does not count what was sent before)
  bool drawn_ = false;
};

}  // namespace xchat::client::cli
