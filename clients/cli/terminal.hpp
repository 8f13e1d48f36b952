#pragma once

#include <termios.h>

#include <optional>
#include <string>

namespace xchat::client::cli {

// Reads a passphrase from the controlling terminal with echo off; nothing when there is no
// terminal.
std::optional<std::string> prompt_secret(const std::string& prompt);

// Lines typed on standard input, read without blocking. On a terminal it reads key by key
// (so the first key of a line can announce "typing"), with its own echo and backspace;
// from a pipe or file it reads whole lines. Restores the terminal when destroyed.
class LineReader {
 public:
  LineReader();
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  struct Input {
    std::optional<std::string> line;  // a finished line
    bool started = false;             // the first key of a new line was typed
    bool cleared = false;             // the line was erased back to empty
    bool eof = false;                 // standard input ended (Ctrl-D on an empty line)
  };
  // Waits up to `timeout_ms` for input.
  Input poll(int timeout_ms);

  // Prints `text` on its own line without disturbing the line being typed.
  void print(const std::string& text);

 private:
  bool tty_ = false;
  bool eof_ = false;
  termios saved_{};
  std::string pending_;  // read from standard input, not yet looked at
  std::string partial_;  // the line being typed
};

}  // namespace xchat::client::cli
