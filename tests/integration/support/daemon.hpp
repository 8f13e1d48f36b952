#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace xchat::testing {

// Config overrides as "section.key" -> TOML value text, e.g.
//   {{"limits.max_frame_bytes", "4096"}, {"access.registration", "\"invite\""}}
using Overrides = std::map<std::string, std::string>;

// The xchatd binary the tests start: the one built beside them, unless XCHAT_TEST_XCHATD
// names another (scripts/test.sh --tsan runs these tests against a ThreadSanitizer daemon).
const char* xchatd_binary();

// Whether the daemon runs under a sanitizer (this build is instrumented, or
// XCHAT_TEST_XCHATD names another binary): several times slower, so settings a test
// races against (idle timeouts) need more room there.
bool daemon_is_instrumented();

// Whether the daemon's resident memory means anything: under a sanitizer, shadow memory and
// the quarantine of freed blocks swamp what the server itself holds, so memory bounds are
// checked in the Release build only.
bool daemon_memory_is_meaningful();

// A real xchatd process for one test: its own temporary directory (config, data, log,
// notify socket), listening on an ephemeral loopback port. The constructor returns once
// the daemon has sent READY=1 over a fake NOTIFY_SOCKET (which is also how the port is
// learnt). The destructor kills it if it still runs and removes the directory.
// Failures to start throw std::runtime_error with the daemon's log.
class Daemon {
 public:
  explicit Daemon(Overrides overrides = {});
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon();

  // The defaults every test daemon gets (port 0, 2 threads, server name "test.xchat",
  // generous rate limits) merged with `overrides`, as TOML text.
  static std::string config_text(const Overrides& overrides);

  // Starts (again) on the same directory and config file; waits for READY=1.
  void start();
  // Sends `signo` and waits up to `timeout` for the exit; returns the exit status as
  // from waitpid's WEXITSTATUS, or -1 when it did not exit in time (it is then killed),
  // or 128+N when killed by signal N.
  int stop(int signo = 15, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits up to `timeout` for the daemon to exit by itself; the exit status as stop().
  int wait_exit(std::chrono::milliseconds timeout);
  void signal(int signo) const;
  bool running();

  // Rewrites the config file (for SIGHUP tests); `raw` is used verbatim when non-empty.
  void rewrite_config(const Overrides& overrides, const std::string& raw = "");

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string data_dir() const { return dir_ + "/data"; }
  std::string config_path() const { return dir_ + "/xchatd.toml"; }
  std::string log() const;  // everything the daemon wrote to stderr/stdout so far
  // Every sd_notify datagram received since the last start().
  std::vector<std::string> notifications();
  long rss_kib() const;  // VmRSS from /proc

  // Runs `xchatd admin ARGS...` against this daemon's config; returns the exit code and
  // fills `out` with its stdout.
  int admin(const std::vector<std::string>& args, std::string* out = nullptr) const;

  // A plain HTTP/1.1 GET on loopback; returns the status code (0 when no response came)
  // and fills `body`.
  int http_get(const std::string& path, std::string* body = nullptr) const;

 private:
  void drain_notifications(std::chrono::milliseconds wait);

  std::string dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int notify_fd_ = -1;
  std::vector<std::string> notifications_;
};

// Runs a command, returning its exit code; stdout+stderr go to `output` when given.
int run_command(const std::vector<std::string>& argv, std::string* output = nullptr);

}  // namespace xchat::testing
