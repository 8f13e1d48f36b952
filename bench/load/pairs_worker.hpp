#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "load/connection.hpp"
#include "load/error_tally.hpp"
#include "load/latency_recorder.hpp"
#include "load/scenario.hpp"
#include "load/setup_queue.hpp"
#include "load/worker_pool.hpp"

namespace xchat::bench {

// When a pairs load runs. Envelopes are counted, and their latency recorded, when they
// were sent in [measure_from, measure_until).
struct PairsTimeline {
  std::chrono::steady_clock::time_point start;          // the first sends
  std::chrono::steady_clock::time_point measure_from;   // the end of the warm-up
  std::chrono::steady_clock::time_point measure_until;  // no send is made from here on
};

// Starts the first sends shortly after now (so that every worker has its schedule before
// they begin), measures after `warmup` seconds for `seconds`.
PairsTimeline pairs_timeline(double warmup, double seconds);

// Updated on a worker's thread, summed by the main thread while the run goes on.
struct PairsCounters {
  std::atomic<std::uint64_t> ready{0};     // users signed in (receivers: queue_empty seen)
  std::atomic<std::uint64_t> sent{0};      // sends written
  std::atomic<std::uint64_t> answered{0};  // sends answered, accepted or not
  std::atomic<std::uint64_t> accepted{0};  // sends answered with a result
  std::atomic<std::uint64_t> received{0};  // envelopes received (repeats not counted)
  std::atomic<std::uint64_t> received_in_window{0};  // of which in the measured interval
};

struct Pair;

// The pairs i = first, first + stride, ... of a pairs or rate load (Settings::mode), and
// everything they do, on one io thread: each sender sends to its own receiver, which is
// online and acknowledges what it receives in batches. Latency runs from the moment a send
// is written (pairs) or falls due (rate) to the moment its envelope reaches the receiver;
// the send's time rides in the first kStampBytes of the ciphertext, which the server cannot
// read.
//
// Thread safety: start(), begin() and take_interval_latency() may be called from any
// thread (they post to the worker's); `counters` may be read from any thread; `latency`
// only after the worker's thread stopped.
class PairsWorker {
 public:
  PairsWorker(boost::asio::io_context& ioc, const Settings& settings, const Endpoint& endpoint,
              ErrorTally& errors, std::string_view tag, std::size_t first, std::size_t stride);
  ~PairsWorker();

  // Registers and signs in every user of this worker.
  void start();
  // Starts the load. REQUIRES: every user is signed in.
  void begin(const PairsTimeline& timeline);
  // The latency of the envelopes received since the previous call (or since begin()),
  // handed over from the worker's thread.
  std::future<LatencyRecorder> take_interval_latency();

  PairsCounters counters;
  LatencyRecorder latency;  // the measured interval's; read it only after the threads stopped

 private:
  Connection::ErrorHandler error_handler(const std::string& handle);
  void set_up_receiver(Pair& p, SetupQueue::Finished finished);
  void set_up_sender(Pair& p, SetupQueue::Finished finished);
  void arm(Pair& p, std::chrono::steady_clock::time_point when);
  void pump(Pair& p);
  void send(Pair& p, std::chrono::steady_clock::time_point stamp);
  void on_send_reply(Pair& p, const nlohmann::json& reply);
  void on_envelope(const nlohmann::json& envelope);

  boost::asio::io_context& ioc_;
  const Settings& settings_;
  ErrorTally& errors_;
  SetupQueue setup_;
  std::vector<std::unique_ptr<Pair>> pairs_;
  std::chrono::duration<double, std::nano> interval_;
  PairsTimeline timeline_;
  LatencyRecorder interval_latency_;  // since the last take_interval_latency()
};

// What makes the workers of a WorkerPool<PairsWorker> for a run: `settings.threads` of
// them, sharing the pairs out. `settings`, `errors` and `tag` must outlive the pool.
inline auto pairs_workers(const Settings& settings, const Endpoint& endpoint, ErrorTally& errors,
                          const std::string& tag) {
  return [&settings, endpoint, &errors, &tag](boost::asio::io_context& ioc, std::size_t t) {
    return std::make_unique<PairsWorker>(ioc, settings, endpoint, errors, tag, t, settings.threads);
  };
}

// One counter summed over every worker of `pool`.
std::uint64_t total(WorkerPool<PairsWorker>& pool,
                    std::atomic<std::uint64_t> PairsCounters::*counter);

// The steps every pairs load shares, each on the main thread; each returns "" or why the
// run must be abandoned.
// Starts every worker and waits until all users are signed in (receivers: until their
// queue_empty).
std::string sign_in_pairs(WorkerPool<PairsWorker>& pool, const Settings& settings,
                          const ErrorTally& errors, pid_t server);
// After the last send: waits until every send was answered and every accepted envelope
// received.
std::string wait_for_last_envelopes(WorkerPool<PairsWorker>& pool, const Settings& settings,
                                    pid_t server);
// Adds sent, accepted and received to `out.details`, and the measured latency to `out`.
// REQUIRES: the pool's threads stopped.
void add_pairs_results(WorkerPool<PairsWorker>& pool, Outcome& out);

}  // namespace xchat::bench
