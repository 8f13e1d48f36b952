#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace xchat::testing {

// A TCP relay on 127.0.0.1 in front of a daemon, for tests of interrupted transfers: a
// client pointed at port() reaches the daemon through it, WebSocket and HTTP alike. The
// first `cuts` connections that carry `after_bytes` bytes in `direction` are cut exactly
// there (both sides closed, as a dropped network link looks to each); every other
// connection, and all later ones, pass untouched. Connections that never carry that many
// bytes (a WebSocket's few frames) are never cut. It runs on threads of its own; the
// destructor closes every connection and joins them. Counters are thread-safe.
class CuttingRelay {
 public:
  enum class Direction {
    kUpstream,    // client to daemon: cuts an upload's body
    kDownstream,  // daemon to client: cuts a download's body
  };

  // Listens on an ephemeral loopback port. Throws std::runtime_error when it cannot.
  CuttingRelay(std::uint16_t target_port, Direction direction, std::uint64_t after_bytes,
               int cuts = 1);
  ~CuttingRelay();
  CuttingRelay(const CuttingRelay&) = delete;
  CuttingRelay& operator=(const CuttingRelay&) = delete;

  std::uint16_t port() const { return port_; }
  // Connections cut so far.
  int cuts_made() const { return cuts_made_.load(); }
  // Bytes passed on in `direction`, over every connection.
  std::uint64_t bytes(Direction direction) const;
  // From now on connections are refused (the listening socket closes): the daemon is out
  // of reach. Connections already open stay.
  void refuse_new();

 private:
  void accept_loop();
  void relay(int client, int server);

  // Constant after construction.
  std::uint16_t target_port_;
  Direction direction_;
  std::uint64_t after_bytes_;
  std::uint16_t port_ = 0;

  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> refusing_{false};
  std::atomic<int> cuts_left_;
  std::atomic<int> cuts_made_{0};
  std::atomic<std::uint64_t> upstream_{0};
  std::atomic<std::uint64_t> downstream_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> connections_;  // guarded by mutex_
};

}  // namespace xchat::testing
