#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace xchat::bench {

// An xchatd that the generator starts for itself: its own temporary directory (config,
// data, log, notify socket) under $TMPDIR or /tmp, listening on an ephemeral port of
// 127.0.0.1, with every limit the load would run into raised. The port is learnt from the
// daemon's READY=1 notification, over a NOTIFY_SOCKET of our own, as the integration tests
// learn it.
//
// The destructor stops the daemon (SIGTERM, SIGKILL after 10 s) and removes the directory.
// Should the generator die without running it, the kernel kills the daemon too
// (PR_SET_PDEATHSIG). The daemon runs in its own process group, so a Ctrl-C at the
// terminal reaches only the generator, which then stops the daemon in order.
class ServerProcess {
 public:
  struct Options {
    std::string binary;                // path of xchatd
    std::string synchronous = "FULL";  // storage.synchronous
    int threads = 0;                   // server.threads; 0 = one per core
  };

  // Starts the daemon and waits up to 30 s for READY=1.
  // REQUIRES: no other thread runs yet (the child is forked).
  // Throws std::runtime_error, with the daemon's log, when it does not come up.
  explicit ServerProcess(const Options& options);
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  // The end of the daemon's log (stdout and stderr), for error reports.
  std::string log_tail() const;

 private:
  void spawn(const std::string& binary);
  void wait_ready();
  void stop();

  std::string dir_;
  int notify_fd_ = -1;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace xchat::bench
