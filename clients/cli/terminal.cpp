#include "cli/terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace xchat::client::cli {

std::optional<std::string> prompt_secret(const std::string& prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  termios saved{};
  if (::tcgetattr(fd, &saved) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  termios quiet = saved;
  quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  [[maybe_unused]] auto w = ::write(fd, prompt.data(), prompt.size());
  std::string secret;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n' && c != '\r') secret.push_back(c);
  ::tcsetattr(fd, TCSAFLUSH, &saved);
  w = ::write(fd, "\n", 1);
  ::close(fd);
  return secret;
}

LineReader::LineReader() : tty_(::isatty(STDIN_FILENO) == 1) {
  if (!tty_) return;
  ::tcgetattr(STDIN_FILENO, &saved_);
  termios raw = saved_;
  raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

LineReader::~LineReader() {
  if (tty_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
}

LineReader::Input LineReader::poll(int timeout_ms) {
  Input in;
  if (pending_.empty() && !eof_) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) > 0) {
      char buffer[256];
      const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
      if (n <= 0) {
        eof_ = true;
      } else {
        pending_.append(buffer, static_cast<std::size_t>(n));
      }
    }
  }
  std::size_t used = 0;
  while (used < pending_.size()) {
    const char c = pending_[used++];
    if (c == '\n' || c == '\r') {
      if (tty_) std::cout << '\n' << std::flush;
      in.line = std::move(partial_);
      partial_.clear();
      break;
    }
    if (tty_ && (c == 0x7f || c == '\b')) {
      if (!partial_.empty()) {
        partial_.pop_back();
        std::cout << "\b \b" << std::flush;
        in.cleared = partial_.empty();
      }
      continue;
    }
    if (tty_ && c == 0x04 && partial_.empty()) {
      eof_ = true;
      pending_.clear();
      used = 0;
      break;
    }
    if (tty_ && static_cast<unsigned char>(c) < 0x20) continue;
    in.started = in.started || partial_.empty();
    partial_.push_back(c);
    if (tty_) std::cout << c << std::flush;
  }
  pending_.erase(0, used);
  if (!in.line && eof_ && pending_.empty()) {
    // The last line may lack its newline.
    if (!partial_.empty()) {
      in.line = std::move(partial_);
      partial_.clear();
    } else {
      in.eof = true;
    }
  }
  return in;
}

void LineReader::print(const std::string& text) {
  if (tty_ && !partial_.empty()) {
    // Erase the line being typed, print, then type it again.
    std::cout << "\r\x1b[K" << text << '\n' << partial_ << std::flush;
  } else {
    std::cout << text << '\n' << std::flush;
  }
}

}  // namespace xchat::client::cli
