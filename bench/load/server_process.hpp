#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "load/temp_dir.hpp"

namespace xchat::bench {

// An xchatd that the generator starts for itself: its own temporary directory (config,
// data, log, notify socket) under $TMPDIR or /tmp, listening on an ephemeral port of
// 127.0.0.1, with every limit the load would run into raised. The port is learnt from the
// daemon's READY=1 notification, over a NOTIFY_SOCKET of our own, as the integration tests
// learn it. Options::data_dir keeps the data elsewhere instead, so that several daemons,
// one after the other, can start on the same database.
//
// The destructor stops the daemon (SIGTERM, SIGKILL after Options::stop_timeout) and removes the
// directory (but not a caller's data_dir). Should the generator die without running it, the kernel
// kills the daemon too (PR_SET_PDEATHSIG). The daemon runs in its own process group, so a Ctrl-C at
// the terminal reaches only the generator, which then stops the daemon in order.
class ServerProcess {
 public:
  struct Options {
    std::string binary;                // path of xchatd
    std::string synchronous = "FULL";  // storage.synchronous
    int threads = 0;                   // server.threads; 0 = one per core
    std::string data_dir;              // server.data_dir, kept; "" = inside the temp directory
    // How long the daemon may take to open its store, delete what expired and listen.
    std::chrono::seconds ready_timeout{30};
    // How long it may take to stop after SIGTERM before it is killed. A kill leaves the WAL
    // behind, so the next start on the same data counts as unclean and checks the whole
    // database before it listens.
    std::chrono::seconds stop_timeout{10};
  };

  // Starts the daemon and waits up to options.ready_timeout for READY=1.
  // REQUIRES: no other thread runs yet (the child is forked).
  // Throws std::runtime_error, with the daemon's log, when it does not come up.
  explicit ServerProcess(const Options& options);
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  // From fork() to the READY=1 notification: exec, opening and checking the store,
  // deleting what expired while the daemon was down, opening the listener.
  double startup_seconds() const { return startup_seconds_; }
  // The end of the daemon's log (stdout and stderr), for error reports.
  std::string log_tail() const;

  // Stops the daemon now (SIGTERM, SIGKILL after options.stop_timeout). Returns the seconds
  // it took to exit, or nullopt when it had to be killed or was not running.
  std::optional<double> stop();

 private:
  void spawn(const std::string& binary);
  void wait_ready(std::chrono::seconds timeout);

  const TempDir dir_;
  const std::chrono::seconds stop_timeout_;
  int notify_fd_ = -1;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::chrono::steady_clock::time_point spawned_;
  double startup_seconds_ = 0;
};

}  // namespace xchat::bench
