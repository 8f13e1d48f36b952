// Modes pairs and rate: each of P senders sends to its own receiver, which is online and
// acknowledges what it receives. Latency runs from the moment a send is written (pairs) or
// falls due (rate) to the moment its envelope reaches the receiver.
#include <fmt/format.h>

#include "load/bench_user.hpp"
#include "load/error_tally.hpp"
#include "load/pairs_worker.hpp"
#include "load/scenario.hpp"
#include "load/worker_pool.hpp"

namespace xchat::bench {

using Clock = std::chrono::steady_clock;

Outcome run_pairs(const Settings& settings, const Target& target) {
  const std::string tag = make_run_tag();
  ErrorTally errors;
  Outcome out;
  out.latency_measures = "send_to_envelope";
  WorkerPool<PairsWorker> pool(settings.threads,
                               pairs_workers(settings, target.endpoint, errors, tag));
  const auto finish = [&](std::string failure) {
    pool.stop();
    out.failure = std::move(failure);
    out.errors = errors.total();
    out.error_kinds = errors.by_kind();
    out.first_error = errors.first();
    add_pairs_results(pool, out);
    return out;
  };

  std::string failure = sign_in_pairs(pool, settings, errors, target.pid);
  if (!failure.empty()) return finish(failure);

  const PairsTimeline timeline = pairs_timeline(settings.warmup, settings.seconds);
  pool.for_each([&](PairsWorker& w) { w.begin(timeline); });
  progress(fmt::format("warming up for {} s", settings.warmup));
  const auto grace = std::chrono::seconds(5);
  failure = wait_until([&] { return Clock::now() >= timeline.measure_from; },
                       timeline.measure_from + grace, "the warm-up", target.pid);
  if (!failure.empty()) return finish(failure);

  const CpuSample before = sample_cpu(target.pid);
  progress(fmt::format("measuring for {} s", settings.seconds));
  std::uint64_t reported = 0;
  failure = wait_until(
      [&] { return Clock::now() >= timeline.measure_until; }, timeline.measure_until + grace,
      "the measurement", target.pid,
      [&] {
        const std::uint64_t now = total(pool, &PairsCounters::received_in_window);
        progress(fmt::format("{} envelopes/s, {} errors", now - reported, errors.total()));
        reported = now;
      });
  const CpuSample after = sample_cpu(target.pid);
  out.cpu = cpu_between(before, after);
  out.seconds = out.cpu.seconds;
  out.delivered = total(pool, &PairsCounters::received_in_window);
  if (!failure.empty()) return finish(failure);

  failure = wait_for_last_envelopes(pool, settings, target.pid);
  if (settings.mode == Mode::kRate) {
    out.details["target_envelopes_per_second"] = settings.rate;
  }
  return finish(failure);
}

}  // namespace xchat::bench
