// Mode expiry: what pending vanishing messages cost xchatd when it starts. The scheduler
// keeps only the earliest deadline in memory and the rest in an index, so a million pending
// expiries should cost little memory and startup time; this measures both, against the
// same binary on an empty database. Then it makes them all overdue and measures the start
// that deletes them before the listener opens.
//
// One data directory for the whole run. The first start migrates the schema and is not
// measured; then, each from fork() to READY=1 and with the resident set kSettle later:
//   baseline  the empty, migrated database (cold: the file evicted from the page cache, as
//             after a reboot; then warm, as at a restart);
//   pending   the same after `expiries` vanishing envelopes were stored directly (deadlines
//             an hour away and spread over the next hour, so none comes due during the run),
//             cold then warm;
//   overdue   every deadline moved two hours back: the start now deletes them all (cold).
// The database is counted after the pending starts (nothing deleted, queue counters
// intact) and after the overdue one (nothing left).
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "load/page_cache.hpp"
#include "load/scenario.hpp"
#include "load/temp_dir.hpp"
#include "load/vanishing_backlog.hpp"
#include "service/clock.hpp"
#include "store/store.hpp"

namespace xchat::bench {

namespace {

using Clock = std::chrono::steady_clock;

// After READY=1, before reading the resident set: the scheduler's first pass (reading the
// earliest deadline, arming its timer) runs then.
constexpr auto kSettle = std::chrono::seconds(1);

constexpr std::int64_t kHourMs = 3600 * 1000;
constexpr std::int64_t kPendingFrom = kHourMs;  // the first deadline, from now
constexpr std::int64_t kPendingSpread = kHourMs;
// Moves the last deadline (kPendingFrom + kPendingSpread away) into the past.
constexpr std::int64_t kMakeOverdue = kPendingFrom + kPendingSpread;

constexpr double kKibPerMib = 1024;

enum class Cache { kCold, kWarm };

// One measured start.
struct Start {
  Start(std::string phase_name, Cache cache_state)
      : phase(std::move(phase_name)), cache(cache_state) {}

  std::string phase;  // migrate, baseline, pending, overdue
  Cache cache;
  double startup_seconds = 0;  // fork() to READY=1
  double cpu_seconds = 0;      // the daemon's CPU time at READY=1
  long rss_kib = 0;            // kSettle after READY=1
  long peak_rss_kib = 0;       // VmHWM then
  // SIGTERM to exit; nullopt when the daemon had to be killed, which makes the next start
  // an unclean one (the whole database checked before it listens).
  std::optional<double> stop_seconds;
};

std::string cache_name(Cache cache) { return cache == Cache::kCold ? "cold" : "warm"; }

// Starts xchatd on the run's data directory, measures, stops it. Returns "" or why it
// failed.
std::string measure_start(const ServerProcess::Options& options, Start& start) {
  if (start.cache == Cache::kCold) {
    const std::string db = store::Store::database_path(options.data_dir);
    if (!evict_from_page_cache(db) || !evict_from_page_cache(db + "-wal")) {
      return "could not evict " + db + " from the page cache";
    }
  }
  progress(fmt::format("{} start ({} cache)", start.phase, cache_name(start.cache)));
  try {
    ServerProcess server(options);
    start.startup_seconds = server.startup_seconds();
    start.cpu_seconds = process_cpu_seconds(server.pid()).value_or(-1);
    const auto settled = Clock::now() + kSettle;
    const std::string failure =
        wait_until([&] { return Clock::now() >= settled; }, settled + std::chrono::seconds(5),
                   "the server to settle", server.pid());
    if (!failure.empty()) return failure + "\n" + server.log_tail();
    start.rss_kib = process_rss_kib(server.pid()).value_or(-1);
    start.peak_rss_kib = process_peak_rss_kib(server.pid()).value_or(-1);
    start.stop_seconds = server.stop();
  } catch (const std::exception& e) {
    return fmt::format("{} start: {}", start.phase, e.what());
  }
  progress(fmt::format("  ready in {:.3f} s, RSS {} KiB (peak {} KiB); {}", start.startup_seconds,
                       start.rss_kib, start.peak_rss_kib,
                       start.stop_seconds ? fmt::format("stopped in {:.3f} s", *start.stop_seconds)
                                          : std::string("killed: it did not stop in time")));
  return "";
}

// Returns "" when the database holds `expected` envelopes, all vanishing, and the queue
// counters agree.
std::string check_queue(const std::string& data_dir, std::int64_t expected, std::string_view when) {
  auto count = count_queue(data_dir);
  if (!count) return fmt::format("counting envelopes {}: {}", when, count.status().message());
  if (count->envelopes != expected || count->vanishing != expected || count->queued != expected) {
    return fmt::format("{}: {} envelopes ({} vanishing, {} queued), expected {}", when,
                       count->envelopes, count->vanishing, count->queued, expected);
  }
  return "";
}

nlohmann::ordered_json start_json(const Start& s) {
  return {{"phase", s.phase},
          {"cache", cache_name(s.cache)},
          {"startup_seconds", round_to(s.startup_seconds, 3)},
          {"cpu_seconds", round_to(s.cpu_seconds, 2)},
          {"rss_kib", s.rss_kib},
          {"peak_rss_kib", s.peak_rss_kib},
          {"stop_seconds", s.stop_seconds ? nlohmann::ordered_json(round_to(*s.stop_seconds, 3))
                                          : nlohmann::ordered_json(nullptr)}};
}

// What a start cost beyond the baseline start with the same cache.
nlohmann::ordered_json extra_json(const Start& s, const Start& baseline) {
  return {{"startup_seconds", round_to(s.startup_seconds, 3)},
          {"extra_startup_seconds", round_to(s.startup_seconds - baseline.startup_seconds, 3)},
          {"extra_rss_mib",
           round_to(static_cast<double>(s.rss_kib - baseline.rss_kib) / kKibPerMib, 1)},
          {"extra_peak_rss_mib",
           round_to(static_cast<double>(s.peak_rss_kib - baseline.peak_rss_kib) / kKibPerMib, 1)}};
}

}  // namespace

Outcome run_expiry(const Settings& settings, const ServerProcess::Options& server) {
  Outcome out;
  // Several daemons come and go, so the report's server CPU time stays unknown (-1, from
  // pid -1); each start's own is in `starts`.
  const CpuSample began = sample_cpu(-1);
  const auto expiries = static_cast<std::int64_t>(settings.expiries);
  std::vector<Start> starts;
  const auto finish = [&](std::string failure) {
    out.failure = std::move(failure);
    out.cpu = cpu_between(began, sample_cpu(-1));
    out.seconds = out.cpu.seconds;
    auto& list = out.details["starts"] = nlohmann::ordered_json::array();
    for (const Start& s : starts) list.push_back(start_json(s));
    return out;
  };

  std::optional<TempDir> dir;
  try {
    dir.emplace("xchat-bench-expiry");
  } catch (const std::exception& e) {
    return finish(e.what());
  }
  ServerProcess::Options options = server;
  options.data_dir = dir->path() + "/data";
  options.ready_timeout = std::chrono::seconds(static_cast<long>(std::ceil(settings.timeout)));
  // A stop waits for the integrity check a clean start defers until after READY=1 (seconds
  // on a large database, from a cold cache): killing it instead would turn the next start
  // into an unclean one.
  options.stop_timeout = options.ready_timeout;

  Start migrate("migrate", Cache::kWarm);
  Start baseline_cold("baseline", Cache::kCold);
  Start baseline_warm("baseline", Cache::kWarm);
  for (Start* s : {&migrate, &baseline_cold, &baseline_warm}) {
    if (std::string failure = measure_start(options, *s); !failure.empty()) {
      return finish(failure);
    }
    if (s != &migrate) starts.push_back(*s);
  }

  progress(fmt::format("storing {} vanishing envelopes", expiries));
  const auto fill_began = Clock::now();
  const VanishingBacklog backlog{.count = expiries,
                                 .ciphertext_bytes = settings.size,
                                 .first_deadline = SystemClock().unix_millis() + kPendingFrom,
                                 .spread_ms = kPendingSpread};
  if (Status s = fill_vanishing_backlog(options.data_dir, backlog, interrupted); !s) {
    return finish("storing the envelopes: " + s.message());
  }
  out.details["fill_seconds"] =
      round_to(std::chrono::duration<double>(Clock::now() - fill_began).count(), 3);
  std::error_code ec;
  out.details["database_bytes"] =
      std::filesystem::file_size(store::Store::database_path(options.data_dir), ec);

  Start pending_cold("pending", Cache::kCold);
  Start pending_warm("pending", Cache::kWarm);
  for (Start* s : {&pending_cold, &pending_warm}) {
    if (std::string failure = measure_start(options, *s); !failure.empty()) {
      return finish(failure);
    }
    starts.push_back(*s);
  }
  if (std::string failure = check_queue(options.data_dir, expiries, "after the pending starts");
      !failure.empty()) {
    return finish(failure);
  }
  out.details["pending"] = {{"cold", extra_json(pending_cold, baseline_cold)},
                            {"warm", extra_json(pending_warm, baseline_warm)}};

  progress("moving every deadline into the past");
  if (Status s = advance_deadlines(options.data_dir, kMakeOverdue); !s) {
    return finish("making the envelopes overdue: " + s.message());
  }
  Start overdue("overdue", Cache::kCold);
  if (std::string failure = measure_start(options, overdue); !failure.empty()) {
    return finish(failure);
  }
  starts.push_back(overdue);
  if (std::string failure = check_queue(options.data_dir, 0, "after the overdue start");
      !failure.empty()) {
    return finish(failure);
  }
  out.details["overdue"] = {{"cold", extra_json(overdue, baseline_cold)}};
  return finish("");
}

}  // namespace xchat::bench
