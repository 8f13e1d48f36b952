#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "load/connection.hpp"
#include "load/latency_recorder.hpp"
#include "load/process_stats.hpp"
#include "load/server_process.hpp"

namespace xchat::bench {

// The load patterns (xchat_bench.cpp describes what each measures).
enum class Mode {
  kPairs,        // closed loop: each sender keeps `window` sends awaiting their reply
  kRate,         // open loop: a fixed aggregate rate, paced by timers
  kOffline,      // store `count` envelopes for an offline device, then drain them
  kIdle,         // `connections` signed-in connections doing nothing
  kExpiry,       // xchatd's startup and memory with `expiries` vanishing envelopes pending
  kAttachments,  // one attachment's upload, finish and download against loopback copies
  kSoak,         // the rate load for a long time with users coming and going, sampled
  kCrash,        // tests/crash/run.sh's clients: load across server kills, then the checks
};

// Pairs and rate write a time stamp into the first bytes of every ciphertext, so
// ciphertexts are at least this long.
inline constexpr std::size_t kStampBytes = 9;

// The command line, checked.
struct Settings {
  Mode mode = Mode::kPairs;
  std::size_t threads = 1;         // io threads of the generator
  std::size_t pairs = 50;          // pairs, rate: sender-receiver pairs
  std::size_t size = 256;          // ciphertext bytes
  std::size_t window = 32;         // sends awaiting their reply, per sender
  double seconds = 10;             // the measured interval (idle: how long to hold)
  double warmup = 2;               // pairs, rate: load before the measured interval
  double rate = 1000;              // rate: envelopes per second, all pairs together
  std::size_t count = 10000;       // offline: envelopes stored
  std::size_t connections = 1000;  // idle: connections
  std::size_t expiries = 1000000;  // expiry: vanishing envelopes in the database
  std::size_t file_mib = 1024;     // attachments: the attachment's size in MiB
  std::size_t repeats = 3;         // attachments: measurements, each of every transfer
  double timeout = 60;             // longest wait for the server in any phase
  double interval = 60;            // soak: seconds between samples of the server
  std::size_t churn = 20;          // soak: users that keep signing in and off
  std::size_t users = 6;           // crash: accounts, each sending to the next
  std::uint32_t seed = 1;          // crash: the generator's choices (kinds, sizes, timers)
  std::string ledger;              // crash: where to write the ledger ("" for nowhere)
};

// The server under load.
struct Target {
  Endpoint endpoint;
  pid_t pid = -1;  // for its CPU time and RSS
};

// What a run measured. The report's common fields come from here; each mode adds its own
// figures in `details`.
struct Outcome {
  std::string failure;          // why the run was abandoned; empty when it completed
  double seconds = 0;           // length of the measured interval
  std::uint64_t delivered = 0;  // envelopes received in it
  // What `latency` measures ("send_to_envelope", "send_to_accepted"); empty for none.
  std::string latency_measures;
  LatencyRecorder::Summary latency;
  CpuUse cpu;  // over the measured interval
  std::uint64_t errors = 0;
  nlohmann::ordered_json error_kinds = nlohmann::ordered_json::object();
  std::string first_error;  // the first one's kind and detail, "" when none
  nlohmann::ordered_json details = nlohmann::ordered_json::object();
};

// The scenarios. Each runs its own io threads and returns when its connections are gone.
Outcome run_pairs(const Settings& settings, const Target& target);  // pairs and rate
Outcome run_offline(const Settings& settings, const Target& target);
Outcome run_idle(const Settings& settings, const Target& target);
Outcome run_attachments(const Settings& settings, const Target& target);
Outcome run_soak(const Settings& settings, const Target& target);
// Reconnects across server kills until wind_down_requested(); target.pid is not used (the
// server's pid changes with every restart).
Outcome run_crash(const Settings& settings, const Target& target);
// Starts and stops its own xchatd several times, from `server` with a data directory of its
// own. REQUIRES: no other thread runs (the daemons are forked).
Outcome run_expiry(const Settings& settings, const ServerProcess::Options& server);

// Set from the SIGINT/SIGTERM handler; every wait gives up when it is.
void request_interrupt();
bool interrupted();
// Set from the SIGUSR1 handler: crash mode stops loading, drains and checks.
void request_wind_down();
bool wind_down_requested();

// Polls `done` every 10 ms until it holds, calling `each_second` (if any) once a second
// meanwhile. Returns "" then, or why it gave up: `deadline` passed (the message names
// `what`), the server process exited, or the run was interrupted.
std::string wait_until(const std::function<bool()>& done,
                       std::chrono::steady_clock::time_point deadline, std::string_view what,
                       pid_t server, const std::function<void()>& each_second = {});

// The deadline of a phase that waits on the server, from now.
std::chrono::steady_clock::time_point phase_deadline(const Settings& settings);

// `value` rounded to `decimals` places, for the report (3 for microseconds in milliseconds).
double round_to(double value, int decimals);

// A line of human progress on stderr.
void progress(std::string_view line);

}  // namespace xchat::bench
