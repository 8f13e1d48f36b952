// Mode soak: the rate mode's paced pairs for a long time, while --churn more users each
// connect, sign in, stay a moment and sign off again, over and over. Every --interval
// seconds it samples the server: resident memory, open file descriptors, CPU, and the
// delivered rate and latency of that interval alone, printing one row of a table on
// stderr as it goes, so that growth over time shows as a column that does not stay flat.
#include <fmt/format.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <random>

#include "load/bench_user.hpp"
#include "load/error_tally.hpp"
#include "load/pairs_worker.hpp"
#include "load/scenario.hpp"
#include "load/worker_pool.hpp"

namespace xchat::bench {

namespace {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

// How long a churning user stays signed in, and how long it stays away, in milliseconds:
// uniformly in these ranges, so that the users do not move in step.
constexpr int kMinStayMs = 200;
constexpr int kMaxStayMs = 2000;
constexpr int kMinAwayMs = 0;
constexpr int kMaxAwayMs = 1000;

struct ChurnUser {
  ChurnUser(net::io_context& ioc, std::string handle) : user(std::move(handle)), timer(ioc) {}
  const BenchUser user;
  std::shared_ptr<Connection> conn;  // the current connection, a new one for each visit
  bool registered = false;
  net::steady_timer timer;  // the end of a stay or of an absence
};

// The users i = first, first + stride, ... that come and go, on one io thread, until
// stop_churning().
class ChurnWorker {
 public:
  ChurnWorker(net::io_context& ioc, std::size_t users, const Endpoint& endpoint, ErrorTally& errors,
              std::string_view tag, std::size_t first, std::size_t stride)
      : ioc_(ioc), endpoint_(endpoint), errors_(errors), random_(std::random_device{}()) {
    for (std::size_t i = first; i < users; i += stride) {
      users_.push_back(std::make_unique<ChurnUser>(ioc, bench_handle(tag, 'c', i)));
    }
  }

  void start() {
    net::post(ioc_, [this] {
      for (auto& user : users_) stay_away(*user);
    });
  }

  // Lets every user finish its current visit, then keeps it away.
  void stop_churning() {
    net::post(ioc_, [this] { stopping_ = true; });
  }

  std::atomic<std::uint64_t> sign_ins{0};   // visits that signed in
  std::atomic<std::uint64_t> sign_offs{0};  // connections closed by their user

 private:
  int uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }

  void stay_away(ChurnUser& u) {
    if (stopping_) return;
    u.timer.expires_after(std::chrono::milliseconds(uniform(kMinAwayMs, kMaxAwayMs)));
    u.timer.async_wait([this, &u](boost::system::error_code ec) {
      if (!ec) visit(u);
    });
  }

  void visit(ChurnUser& u) {
    if (stopping_) return;
    u.conn = std::make_shared<Connection>(ioc_, endpoint_);
    u.conn->set_error_handler([this, &u](std::string_view kind, const std::string& detail) {
      errors_.add(kind, u.user.handle + ": " + detail);
    });
    open_and_log_in(u.conn, u.user, !u.registered, [this, &u](const std::string& error) {
      if (!error.empty()) {
        errors_.add("setup", u.user.handle + ": " + error);
        return stay_away(u);
      }
      u.registered = true;
      ++sign_ins;
      u.timer.expires_after(std::chrono::milliseconds(uniform(kMinStayMs, kMaxStayMs)));
      u.timer.async_wait([this, &u](boost::system::error_code ec) {
        if (ec) return;
        u.conn->close([this, &u] {
          ++sign_offs;
          stay_away(u);
        });
      });
    });
  }

  net::io_context& ioc_;
  const Endpoint endpoint_;
  ErrorTally& errors_;
  std::vector<std::unique_ptr<ChurnUser>> users_;
  std::minstd_rand random_;
  bool stopping_ = false;
};

// What the server looked like over one interval.
struct Sample {
  double minute = 0;  // the interval's end, in minutes since the measurement began
  std::uint64_t delivered = 0;
  double envelopes_per_second = 0;
  LatencyRecorder::Summary latency;
  long rss_kib = -1;
  long open_files = -1;
  double server_cpu = -1;  // cores over the interval
  std::uint64_t sign_ins = 0;
  std::uint64_t errors = 0;
};

std::string table_header() {
  return fmt::format("{:>7} {:>10} {:>9} {:>9} {:>9} {:>10} {:>7} {:>8} {:>9} {:>6}", "minute",
                     "delivered", "env/s", "p50 ms", "p99 ms", "RSS KiB", "fds", "srv CPU",
                     "sign-ins", "errors");
}

std::string table_row(const Sample& s) {
  return fmt::format("{:>7.1f} {:>10} {:>9.0f} {:>9.2f} {:>9.2f} {:>10} {:>7} {:>8.2f} {:>9} {:>6}",
                     s.minute, s.delivered, s.envelopes_per_second, s.latency.p50_ms,
                     s.latency.p99_ms, s.rss_kib, s.open_files, s.server_cpu, s.sign_ins, s.errors);
}

nlohmann::ordered_json to_json(const Sample& s) {
  return {{"minute", round_to(s.minute, 2)},
          {"delivered", s.delivered},
          {"envelopes_per_second", round_to(s.envelopes_per_second, 1)},
          {"p50_ms", round_to(s.latency.p50_ms, 3)},
          {"p99_ms", round_to(s.latency.p99_ms, 3)},
          {"max_ms", round_to(s.latency.max_ms, 3)},
          {"rss_kib", s.rss_kib},
          {"open_files", s.open_files},
          {"server_cpu_cores", round_to(s.server_cpu, 3)},
          {"sign_ins", s.sign_ins},
          {"errors", s.errors}};
}

}  // namespace

Outcome run_soak(const Settings& settings, const Target& target) {
  const std::string tag = make_run_tag();
  ErrorTally errors;
  Outcome out;
  out.latency_measures = "send_to_envelope";
  WorkerPool<PairsWorker> pairs(settings.threads,
                                pairs_workers(settings, target.endpoint, errors, tag));
  WorkerPool<ChurnWorker> churn(1, [&](net::io_context& ioc, std::size_t) {
    return std::make_unique<ChurnWorker>(ioc, settings.churn, target.endpoint, errors, tag, 0, 1);
  });
  const auto churn_total = [&](std::atomic<std::uint64_t> ChurnWorker::*counter) {
    std::uint64_t sum = 0;
    churn.for_each([&](ChurnWorker& w) { sum += (w.*counter).load(); });
    return sum;
  };
  nlohmann::ordered_json intervals = nlohmann::ordered_json::array();
  std::vector<std::string> rows;  // the table, printed again whole at the end
  const auto finish = [&](std::string failure) {
    churn.stop();
    pairs.stop();
    out.failure = std::move(failure);
    out.errors = errors.total();
    out.error_kinds = errors.by_kind();
    out.first_error = errors.first();
    add_pairs_results(pairs, out);
    out.details["target_envelopes_per_second"] = settings.rate;
    out.details["sign_ins"] = churn_total(&ChurnWorker::sign_ins);
    out.details["sign_offs"] = churn_total(&ChurnWorker::sign_offs);
    out.details["intervals"] = intervals;
    if (!rows.empty()) {
      progress("the soak, interval by interval:");
      progress(table_header());
      for (const auto& row : rows) progress(row);
    }
    return out;
  };

  std::string failure = sign_in_pairs(pairs, settings, errors, target.pid);
  if (!failure.empty()) return finish(failure);

  const PairsTimeline timeline = pairs_timeline(settings.warmup, settings.seconds);
  pairs.for_each([&](PairsWorker& w) { w.begin(timeline); });
  churn.for_each([](ChurnWorker& w) { w.start(); });
  progress(fmt::format("warming up for {} s", settings.warmup));
  const auto grace = std::chrono::seconds(5);
  failure = wait_until([&] { return Clock::now() >= timeline.measure_from; },
                       timeline.measure_from + grace, "the warm-up", target.pid);
  if (!failure.empty()) return finish(failure);

  // Interval latencies gathered during the warm-up are dropped.
  pairs.for_each([](PairsWorker& w) { w.take_interval_latency().wait(); });
  const CpuSample first = sample_cpu(target.pid);
  CpuSample last = first;
  std::uint64_t received = total(pairs, &PairsCounters::received);
  std::uint64_t sign_ins = churn_total(&ChurnWorker::sign_ins);
  std::uint64_t error_count = errors.total();
  const auto interval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(settings.interval));
  auto next_sample = first.at + interval;
  const auto take_sample = [&] {
    Sample s;
    LatencyRecorder latency;
    pairs.for_each([&](PairsWorker& w) { latency.merge(w.take_interval_latency().get()); });
    const CpuSample now = sample_cpu(target.pid);
    const CpuUse used = cpu_between(last, now);
    s.minute = std::chrono::duration<double>(now.at - first.at).count() / 60;
    const std::uint64_t received_now = total(pairs, &PairsCounters::received);
    s.delivered = received_now - received;
    s.envelopes_per_second = static_cast<double>(s.delivered) / used.seconds;
    s.latency = latency.summarize();
    s.rss_kib = process_rss_kib(target.pid).value_or(-1);
    s.open_files = process_open_files(target.pid).value_or(-1);
    s.server_cpu = used.server < 0 ? -1 : used.server / used.seconds;
    const std::uint64_t sign_ins_now = churn_total(&ChurnWorker::sign_ins);
    s.sign_ins = sign_ins_now - sign_ins;
    s.errors = errors.total() - error_count;
    rows.push_back(table_row(s));
    progress(rows.back());
    intervals.push_back(to_json(s));
    last = now;
    received = received_now;
    sign_ins = sign_ins_now;
    error_count += s.errors;
  };

  progress(fmt::format("soaking for {} s at {} envelopes/s, {} users churning; every {} s:",
                       settings.seconds, settings.rate, settings.churn, settings.interval));
  progress(table_header());
  failure = wait_until([&] { return Clock::now() >= timeline.measure_until; },
                       timeline.measure_until + grace, "the soak", target.pid,
                       [&] {
                         if (Clock::now() < next_sample) return;
                         take_sample();
                         next_sample += interval;
                       });
  const CpuSample end = sample_cpu(target.pid);
  out.cpu = cpu_between(first, end);
  out.seconds = out.cpu.seconds;
  out.delivered = total(pairs, &PairsCounters::received_in_window);
  if (!failure.empty()) return finish(failure);
  if (end.at >= last.at + interval / 2) take_sample();  // a last partial interval

  churn.for_each([](ChurnWorker& w) { w.stop_churning(); });
  failure = wait_for_last_envelopes(pairs, settings, target.pid);
  return finish(failure);
}

}  // namespace xchat::bench
