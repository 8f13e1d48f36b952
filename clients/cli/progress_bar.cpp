#include "cli/progress_bar.hpp"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "messenger/byte_size.hpp"
#include "messenger/duration.hpp"

namespace xchat::client::cli {

namespace {

constexpr auto kRedraw = std::chrono::milliseconds(100);
constexpr int kBarWidth = 24;

}  // namespace

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)),
      terminal_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::cerr << '\n' << std::flush;
}

void ProgressBar::update(std::uint64_t done, std::uint64_t total) {
  if (!terminal_) return;
  if (first_done_ == UINT64_MAX) first_done_ = done;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_draw_ < kRedraw) return;
  last_draw_ = now;
  draw(done, total);
}

void ProgressBar::draw(std::uint64_t done, std::uint64_t total) {
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * kBarWidth);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate =
      seconds > 0 ? static_cast<double>(done - std::min(done, first_done_)) / seconds : 0;
  std::string line = "\r" + label_ + " [" + std::string(static_cast<std::size_t>(filled), '#') +
                     std::string(static_cast<std::size_t>(kBarWidth - filled), '.') + "] " +
                     std::to_string(static_cast<int>(fraction * 100)) + "% " + format_bytes(done) +
                     " / " + format_bytes(total);
  if (rate > 0) {
    line += "  " + format_bytes(static_cast<std::uint64_t>(rate)) + "/s";
    if (done < total) {
      line +=
          "  " +
          format_duration(static_cast<std::int64_t>(static_cast<double>(total - done) / rate) + 1) +
          " left";
    }
  }
  // Erase what a longer earlier line left.
  std::cerr << line << "\x1b[K" << std::flush;
  drawn_ = true;
}

}  // namespace xchat::client::cli
