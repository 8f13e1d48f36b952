// Mode idle: `connections` users, each signed in on its own connection, then left alone.
// Measures what a connected client costs the server at rest: memory per connection, and
// CPU while the connections do nothing (the server's pings and timers). The connections
// come from as many loopback source addresses as their number needs (127.0.1.1, 127.0.1.2,
// ...), kConnectionsPerSource each.
#include <fmt/format.h>

#include <atomic>
#include <boost/asio/post.hpp>

#include "load/bench_user.hpp"
#include "load/error_tally.hpp"
#include "load/scenario.hpp"
#include "load/setup_queue.hpp"
#include "load/worker_pool.hpp"

namespace xchat::bench {

namespace {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

// Connections of one worker signing in at the same time.
constexpr std::size_t kSetupConcurrency = 64;

// Connections from one source address: well inside the default ephemeral port range
// (32768-60999), which one address cannot exceed towards the server's one port.
constexpr std::size_t kConnectionsPerSource = 16384;

// Source addresses: 127.0.1.1 upwards, apart from 127.0.0.1, which other local clients use.
constexpr std::uint32_t kFirstSource = 0x7f000101;

std::size_t sources_for(std::size_t connections) {
  return (connections + kConnectionsPerSource - 1) / kConnectionsPerSource;
}

// After the last login, before the measured interval: the server's allocator and the
// connections' buffers come to rest.
constexpr auto kSettle = std::chrono::seconds(1);

struct Client {
  Client(net::io_context& ioc, const Endpoint& endpoint, std::string handle,
         net::ip::address_v4 source)
      : user(std::move(handle)), conn(std::make_shared<Connection>(ioc, endpoint, source)) {}
  const BenchUser user;
  const std::shared_ptr<Connection> conn;
};

// The users i = first, first + stride, ... on one io thread.
class IdleWorker {
 public:
  IdleWorker(net::io_context& ioc, const Settings& settings, const Endpoint& endpoint,
             ErrorTally& errors, std::string_view tag, std::size_t first, std::size_t stride)
      : ioc_(ioc), errors_(errors), setup_(kSetupConcurrency) {
    const std::size_t sources = sources_for(settings.connections);
    for (std::size_t i = first; i < settings.connections; i += stride) {
      const net::ip::address_v4 source(kFirstSource + static_cast<std::uint32_t>(i % sources));
      clients_.push_back(
          std::make_unique<Client>(ioc, endpoint, bench_handle(tag, 'i', i), source));
    }
  }

  void start() {
    net::post(ioc_, [this] {
      for (auto& client : clients_) {
        Client& c = *client;
        c.conn->set_error_handler([this, &c](std::string_view kind, const std::string& detail) {
          errors_.add(kind, c.user.handle + ": " + detail);
        });
        setup_.add([this, &c](SetupQueue::Finished finished) {
          open_and_log_in(c.conn, c.user, true,
                          [this, &c, finished = std::move(finished)](const std::string& error) {
                            if (error.empty()) {
                              ++ready;
                            } else {
                              errors_.add("setup", c.user.handle + ": " + error);
                            }
                            finished();
                          });
        });
      }
    });
  }

  std::atomic<std::uint64_t> ready{0};  // connections signed in

 private:
  net::io_context& ioc_;
  ErrorTally& errors_;
  SetupQueue setup_;
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace

Outcome run_idle(const Settings& settings, const Target& target) {
  const std::string tag = make_run_tag();
  ErrorTally errors;
  Outcome out;
  WorkerPool<IdleWorker> pool(settings.threads, [&](net::io_context& ioc, std::size_t t) {
    return std::make_unique<IdleWorker>(ioc, settings, target.endpoint, errors, tag, t,
                                        settings.threads);
  });
  const auto ready = [&pool] {
    std::uint64_t sum = 0;
    pool.for_each([&](IdleWorker& w) { sum += w.ready.load(); });
    return sum;
  };
  const auto finish = [&](std::string failure) {
    pool.stop();
    out.failure = std::move(failure);
    out.errors = errors.total();
    out.error_kinds = errors.by_kind();
    out.first_error = errors.first();
    out.details["connections"] = ready();
    return out;
  };

  const auto rss_before = process_rss_kib(target.pid);
  progress("signing in " + std::to_string(settings.connections) + " connections");
  const auto setup_started = Clock::now();
  pool.for_each([](IdleWorker& w) { w.start(); });
  std::string failure =
      wait_until([&] { return ready() == settings.connections || errors.total() > 0; },
                 phase_deadline(settings), "the connections to sign in", target.pid,
                 [&] { progress(std::to_string(ready()) + " signed in"); });
  if (failure.empty() && errors.total() > 0) failure = "setup failed: " + errors.first();
  if (!failure.empty()) {
    return finish(failure + fmt::format(" ({} of {} signed in)", ready(), settings.connections));
  }
  const double setup_seconds = std::chrono::duration<double>(Clock::now() - setup_started).count();

  const auto settled = Clock::now() + kSettle;
  failure = wait_until([&] { return Clock::now() >= settled; }, settled + std::chrono::seconds(5),
                       "the connections to settle", target.pid);
  if (!failure.empty()) return finish(failure);

  progress(fmt::format("holding for {} s", settings.seconds));
  const CpuSample before = sample_cpu(target.pid);
  const auto until = before.at + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(settings.seconds));
  failure = wait_until([&] { return Clock::now() >= until; }, until + std::chrono::seconds(5),
                       "the end of the idle interval", target.pid);
  out.cpu = cpu_between(before, sample_cpu(target.pid));
  out.seconds = out.cpu.seconds;
  const auto rss_after = process_rss_kib(target.pid);
  out.details["source_addresses"] = sources_for(settings.connections);
  out.details["setup_seconds"] = round_to(setup_seconds, 3);
  out.details["rss_before_kib"] = rss_before.value_or(-1);
  out.details["rss_after_kib"] = rss_after.value_or(-1);
  if (rss_before && rss_after) {
    out.details["kib_per_connection"] = round_to(
        static_cast<double>(*rss_after - *rss_before) / static_cast<double>(settings.connections),
        2);
  }
  return finish(failure);
}

}  // namespace xchat::bench
