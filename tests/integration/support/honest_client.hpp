#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "integration/support/daemon.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"
#include "load/latency_recorder.hpp"

namespace xchat::testing {

// A well-behaved pair of users who keep messaging each other in a background thread while a
// test abuses the daemon: the evidence that everyone else is still served. Each round trip
// is one stored message, sent by one user and received (and acknowledged) by the other, the
// direction alternating; its latency, from the send to the envelope's arrival, is recorded.
// Failures are counted, never asserted from the thread: the test checks them after stop().
class HonestClient {
 public:
  struct Options {
    // Where both users connect from; an address the abuse leaves alone keeps the
    // per-address budgets out of the picture.
    std::string local_address = "127.0.0.1";
    // Both users reconnect and log in again after this many round trips (0: never), so
    // that new connections and logins are part of what must keep working. Off when the
    // abuse fills the total connection budget, where no new connection can be admitted.
    int reconnect_every = 0;
    // The pause between round trips: 100 ms stays well within the default send rate
    // limit whatever the test's length.
    std::chrono::milliseconds pause = std::chrono::milliseconds(100);
  };

  // Registers two users, logs both in and starts the thread; started() says whether that
  // worked (the reason is in last_failure()). REQUIRES: `daemon` outlives this object.
  explicit HonestClient(const Daemon& daemon, Options options);
  explicit HonestClient(const Daemon& daemon) : HonestClient(daemon, Options()) {}
  HonestClient(const HonestClient&) = delete;
  HonestClient& operator=(const HonestClient&) = delete;
  ~HonestClient();

  bool started() const { return started_; }
  // Blocks until `n` more round trips have succeeded, or `timeout`; returns whether they did.
  bool wait_for_round_trips(std::int64_t n, std::chrono::milliseconds timeout);
  // Stops the thread (it finishes its round trip); idempotent.
  void stop();

  std::int64_t round_trips() const { return round_trips_.load(); }
  std::int64_t failures() const { return failures_.load(); }
  std::int64_t reconnects() const { return reconnects_.load(); }
  std::string last_failure() const;
  // The latencies recorded; REQUIRES: stop() was called.
  bench::LatencyRecorder& latency() { return latency_; }

 private:
  bool connect_both();
  void run();
  bool round_trip(bool a_to_b);
  void fail(const std::string& why);

  // Constant after construction.
  const Daemon& daemon_;
  const Options options_;
  TestUser a_;
  TestUser b_;

  // Touched by the thread only, and by the constructor before it starts.
  std::unique_ptr<WsClient> session_a_;
  std::unique_ptr<WsClient> session_b_;
  bench::LatencyRecorder latency_;  // read by the test after stop()

  bool started_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> round_trips_{0};
  std::atomic<std::int64_t> failures_{0};
  std::atomic<std::int64_t> reconnects_{0};
  mutable std::mutex mu_;
  std::string last_failure_;  // guarded by mu_
  std::thread thread_;
};

// The end of a test's abuse: stops `honest`, reports its latency (report_latency) and
// expects at least `min_round_trips` round trips and no failure.
void expect_served(HonestClient& honest, std::int64_t min_round_trips = 1);

}  // namespace xchat::testing
