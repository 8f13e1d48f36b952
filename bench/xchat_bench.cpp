// xchat-bench: a load generator for xchatd's messaging (send, ack, the envelope and
// queue_empty pushes). Asynchronous Beast WebSocket clients, many connections on each io
// thread (--threads, default 1). By default it starts its own xchatd (build/xchatd, beside
// build/bench/) on a loopback port with a temporary data directory and its rate limits
// raised, and stops it at the end; --url with --server-pid drives one that already runs
// (loopback addresses only).
//
//   build/bench/xchat-bench [--mode pairs|rate|offline|idle|expiry|attachments|soak|crash]
//                           [--seconds 10]
//   ... build/bench/xchat-bench --help
//
// Modes:
//   pairs    --pairs sender-receiver pairs; each sender keeps --window sends awaiting their
//            reply, for --seconds after --warmup. Receivers acknowledge in batches.
//   rate     the same pairs, open loop: --rate envelopes/s in all, paced by timers.
//   offline  one sender stores --count envelopes for a receiver that is not connected,
//            then the receiver logs in and drains them, acknowledging as it goes.
//   idle     --connections signed-in connections that do nothing for --seconds, spread over
//            as many loopback source addresses as they need (16,384 each). The generator
//            raises its limit on open files (the hard one too, up to /proc/sys/fs/nr_open,
//            when it may), and the xchatd it starts inherits it.
//   expiry   startup time and memory of xchatd with --expiries vanishing envelopes pending
//            (stored directly in its stopped database), against an empty database; then
//            the start that deletes them all when they are overdue. It starts and stops its
//            own daemons, so --url does not apply (load/expiry_scenario.cpp has the steps).
//   attachments  one account uploads an attachment of --file-mib MiB over HTTP (PATCH with
//            Content-Length, 256 KiB at a time), finishes it and downloads it again, each
//            timed, beside the raw loopback copy rate measured just before: a socket into a
//            file in the same temporary directory as the started daemon's data, and that
//            file back out to a socket (load/loopback_copy.hpp). --repeats times; the
//            attachment is deleted after each.
//   soak     the rate mode's load (--pairs, --rate) for --seconds while --churn more users
//            keep signing in and off (each stays 0.2-2 s, is away up to 1 s); every
//            --interval seconds a row of the server's RSS, open descriptors, CPU and that
//            interval's rate and latency goes to stderr (bench/soak.sh runs it at half the
//            measured capacity).
//   crash    the client half of tests/crash/run.sh, against --url (no --server-pid: the
//            harness kills and restarts the server, whose pid changes): --users accounts
//            send to each other and receive, reconnecting across kills, until SIGUSR1; then
//            a final drain, the attachments downloaded, and the ledger checked against what
//            the protocol promises (load/crash_scenario.cpp, load/ledger.hpp). --ledger FILE
//            keeps the record; --seed fixes the generator's choices.
//
// Prints one JSON object on stdout, progress on stderr. Its fields: mode, parameters,
// completed (and error, when not), seconds (the measured interval), delivered (envelopes
// received in it), envelopes_per_second, latency_ms {measures, samples, p50, p99, max}
// (pairs and rate: from writing the send, or from its due time in rate mode, to its
// envelope's arrival; offline: from writing the send to its reply), server_cpu_seconds
// (/proc/PID/stat), generator_cpu_seconds (getrusage), errors, error_kinds and first_error; then
// each mode's own figures: sent/accepted/received; offline store and drain; idle RSS before and
// after, and KiB per connection. In offline mode seconds, delivered and envelopes_per_second
// describe the drain, the CPU times both phases; store and drain have each phase's own.
// Soak mode has the rate mode's fields, then sign_ins and sign_offs of the churning users
// and intervals (each: minute, delivered, envelopes_per_second, p50_ms, p99_ms, max_ms,
// rss_kib, open_files, server_cpu_cores, sign_ins, errors).
// Expiry mode delivers nothing; seconds is the whole run, and its figures are starts (each
// start's phase, cache, startup_seconds from fork to READY=1, cpu_seconds, rss_kib and
// peak_rss_kib a second after READY, stop_seconds from SIGTERM to exit or null when it had
// to be killed), pending and overdue (each beside the baseline start
// with the same cache: startup_seconds, extra_startup_seconds, extra_rss_mib,
// extra_peak_rss_mib), fill_seconds and database_bytes.
// Attachments mode delivers nothing either; seconds and the CPU times cover the whole run,
// and its figures are file_bytes, chunk_bytes, runs (each: baseline_upload_mib_s,
// baseline_fdatasync_seconds, baseline_download_mib_s, rss_idle_kib, then for upload, finish
// and download their MiB/s or seconds, server_cpu_seconds and peak_rss_kib (VmRSS polled
// every 20 ms during the step), and upload_slowdown, download_slowdown: baseline rate over
// xchatd's) and median, each figure's median over the runs.
// Crash mode's figures are users, devices, logins (of every device, the reconnects after
// each kill included), summary (the ledger's counts: sends accepted, refused and unknown,
// retries after a lost reply and how many found the first write committed, envelopes
// addressed and delivered, deliveries, redelivered_before_ack, redelivered_after_ack,
// expired_dropped, attachments finished, complete, absent, corrupt, violations) and
// violations (the first 50); any violation fails the run.
//
// Every phase that waits on the server is bounded by --timeout. Exit status: 0 when the
// run completed without errors, 1 when it did not (the JSON says why), 2 for bad options.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/ip/address_v4.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>

#include "crypto/random.hpp"
#include "load/scenario.hpp"
#include "load/server_process.hpp"

namespace xchat::bench {
namespace {

constexpr int kExitIncomplete = 1;
constexpr int kExitUsage = 2;

// File descriptors the generator needs besides its connections (and xchatd, which
// inherits the limit, besides its clients): stdio, the database, the epoll and timer fds.
constexpr rlim_t kSpareDescriptors = 64;

// The xchatd of the build tree this generator belongs to: build/xchatd beside
// build/bench/xchat-bench.
std::string default_xchatd() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "xchatd";
  return (self.parent_path() / ".." / "xchatd").lexically_normal().string();
}

// ws://A.B.C.D:PORT[/PATH] with A.B.C.D in 127.0.0.0/8; anything else is refused, so that
// the generator cannot be aimed at a server on another machine.
std::optional<Endpoint> parse_loopback_url(const std::string& url, std::string* why) {
  static const std::regex kUrl(R"(ws://([0-9.]+):([0-9]{1,5})(/[^?#]*)?)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) {
    *why = "--url must look like ws://127.0.0.1:8480/v1/ws (a numeric address, plain ws)";
    return std::nullopt;
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address_v4(m[1].str(), ec);
  if (ec || !address.is_loopback()) {
    *why = "--url: only loopback addresses (127.0.0.0/8) are allowed, not " + m[1].str();
    return std::nullopt;
  }
  const int port = std::stoi(m[2].str());
  if (port < 1 || port > 65535) {
    *why = "--url: bad port " + m[2].str();
    return std::nullopt;
  }
  Endpoint endpoint;
  endpoint.address = address;
  endpoint.port = static_cast<std::uint16_t>(port);
  if (m[3].matched) endpoint.path = m[3].str();
  return endpoint;
}

// The most the hard limit on open files may be raised to: /proc/sys/fs/nr_open.
rlim_t open_files_ceiling() {
  std::ifstream in("/proc/sys/fs/nr_open");
  rlim_t ceiling = 0;
  return in >> ceiling ? ceiling : 0;
}

// Raises the limit on open files for `connections` (xchatd, started later, inherits it):
// the soft limit to the hard one, and the hard one too, up to nr_open, when the generator
// may (CAP_SYS_RESOURCE; root in a container may lack it). Returns the soft limit in force
// and whether it is enough.
std::pair<rlim_t, bool> raise_file_limit(std::size_t connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {0, false};
  const rlim_t needed = connections + kSpareDescriptors;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
    const rlimit raised{std::min(needed, open_files_ceiling()),
                        std::min(needed, open_files_ceiling())};
    if (raised.rlim_max > limit.rlim_max && setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return {limit.rlim_cur, limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed};
}

void on_signal(int) { request_interrupt(); }

void on_wind_down(int) { request_wind_down(); }

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  action.sa_handler = on_wind_down;
  sigaction(SIGUSR1, &action, nullptr);
}

std::string mode_name(Mode mode) {
  switch (mode) {
    case Mode::kPairs:
      return "pairs";
    case Mode::kRate:
      return "rate";
    case Mode::kOffline:
      return "offline";
    case Mode::kIdle:
      return "idle";
    case Mode::kExpiry:
      return "expiry";
    case Mode::kAttachments:
      return "attachments";
    case Mode::kSoak:
      return "soak";
    case Mode::kCrash:
      return "crash";
  }
  return "";
}

// The connections a run opens.
std::size_t connections_of(const Settings& s) {
  switch (s.mode) {
    case Mode::kPairs:
    case Mode::kRate:
      return 2 * s.pairs;
    case Mode::kSoak:
      return 2 * s.pairs + s.churn;
    case Mode::kOffline:
      return 2;
    case Mode::kAttachments:
      return 3;  // the WebSocket and, one at a time, an HTTP request and a baseline pair
    case Mode::kIdle:
      return s.connections;
    case Mode::kCrash:
      return 2 * s.users + 2;  // both devices of half the users, and the setup's and HTTP's
    case Mode::kExpiry:
      return 0;
  }
  return 0;
}

// The options that shaped this run, for the report.
nlohmann::ordered_json parameters(const Settings& s) {
  nlohmann::ordered_json p;
  switch (s.mode) {
    case Mode::kPairs:
    case Mode::kRate:
      p["pairs"] = s.pairs;
      if (s.mode == Mode::kRate) p["rate"] = s.rate;
      p["size"] = s.size;
      p["window"] = s.window;
      p["seconds"] = s.seconds;
      p["warmup"] = s.warmup;
      break;
    case Mode::kOffline:
      p["count"] = s.count;
      p["size"] = s.size;
      p["window"] = s.window;
      break;
    case Mode::kIdle:
      p["connections"] = s.connections;
      p["seconds"] = s.seconds;
      break;
    case Mode::kExpiry:
      p["expiries"] = s.expiries;
      p["size"] = s.size;
      break;
    case Mode::kAttachments:
      p["file_mib"] = s.file_mib;
      p["repeats"] = s.repeats;
      break;
    case Mode::kSoak:
      p["pairs"] = s.pairs;
      p["rate"] = s.rate;
      p["size"] = s.size;
      p["window"] = s.window;
      p["seconds"] = s.seconds;
      p["warmup"] = s.warmup;
      p["interval"] = s.interval;
      p["churn"] = s.churn;
      break;
    case Mode::kCrash:
      p["users"] = s.users;
      p["seed"] = s.seed;
      p["ledger"] = s.ledger;
      break;
  }
  if (s.mode != Mode::kExpiry && s.mode != Mode::kAttachments && s.mode != Mode::kCrash) {
    p["threads"] = s.mode == Mode::kOffline ? 1 : s.threads;
  }
  p["timeout"] = s.timeout;
  return p;
}

nlohmann::ordered_json report(const Settings& s, nlohmann::ordered_json params,
                              const Outcome& out) {
  nlohmann::ordered_json r;
  r["bench"] = "xchat-bench";
  r["mode"] = mode_name(s.mode);
  r["parameters"] = std::move(params);
  r["completed"] = out.failure.empty();
  if (!out.failure.empty()) r["error"] = out.failure;
  r["seconds"] = round_to(out.seconds, 6);
  r["delivered"] = out.delivered;
  r["envelopes_per_second"] =
      out.seconds > 0 ? round_to(static_cast<double>(out.delivered) / out.seconds, 1) : 0.0;
  if (out.latency_measures.empty()) {
    r["latency_ms"] = nullptr;
  } else {
    r["latency_ms"] = {{"measures", out.latency_measures},
                       {"samples", out.latency.count},
                       {"p50", round_to(out.latency.p50_ms, 3)},
                       {"p99", round_to(out.latency.p99_ms, 3)},
                       {"max", round_to(out.latency.max_ms, 3)}};
  }
  if (out.cpu.server < 0) {
    r["server_cpu_seconds"] = nullptr;
  } else {
    r["server_cpu_seconds"] = round_to(out.cpu.server, 2);
  }
  r["generator_cpu_seconds"] = round_to(out.cpu.generator, 2);
  r["errors"] = out.errors;
  r["error_kinds"] = out.error_kinds;
  if (!out.first_error.empty()) r["first_error"] = out.first_error;
  for (const auto& [key, value] : out.details.items()) r[key] = value;
  return r;
}

// The command line as parsed.
struct CommandLine {
  Settings settings;
  std::string mode = "pairs";
  std::string xchatd = default_xchatd();
  std::string synchronous = "FULL";
  int server_threads = 0;
  std::string url;
  int server_pid = 0;
};

void add_options(CLI::App& app, CommandLine& c) {
  Settings& s = c.settings;
  app.add_option("--mode", c.mode, "pairs, rate, offline, idle, expiry, attachments, soak or crash")
      ->check(CLI::IsMember(
          {"pairs", "rate", "offline", "idle", "expiry", "attachments", "soak", "crash"}))
      ->capture_default_str();
  app.add_option("--threads", s.threads, "Generator io threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--pairs", s.pairs, "pairs, rate: sender-receiver pairs")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  // Up to the default limits.max_envelope_bytes, which the started xchatd keeps.
  app.add_option("--size", s.size, "Ciphertext bytes per envelope")
      ->check(CLI::Range(kStampBytes, std::size_t{65536}))
      ->capture_default_str();
  app.add_option("--window", s.window, "Sends awaiting their reply, per sender")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--seconds", s.seconds, "Measured interval (idle: how long to hold)")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  app.add_option("--warmup", s.warmup, "pairs, rate: load before the measured interval")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  app.add_option("--rate", s.rate, "rate, soak: envelopes per second, all pairs together")
      ->check(CLI::Range(1.0, 1e7))
      ->capture_default_str();
  app.add_option("--count", s.count, "offline: envelopes to store")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str();
  app.add_option("--connections", s.connections, "idle: connections")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--expiries", s.expiries, "expiry: vanishing envelopes pending at startup")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str();
  // Up to the default attachments.max_file_bytes (2 GiB), which the started xchatd keeps.
  app.add_option("--file-mib", s.file_mib, "attachments: the attachment's size in MiB")
      ->check(CLI::Range(std::size_t{1}, std::size_t{2048}))
      ->capture_default_str();
  app.add_option("--repeats", s.repeats, "attachments: measurements of every transfer")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100}))
      ->capture_default_str();
  app.add_option("--interval", s.interval, "soak: seconds between samples of the server")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  app.add_option("--churn", s.churn, "soak: users that keep signing in and off")
      ->check(CLI::Range(std::size_t{0}, std::size_t{10000}))
      ->capture_default_str();
  app.add_option("--users", s.users, "crash: accounts, each sending to the next")
      ->check(CLI::Range(std::size_t{2}, std::size_t{1000}))
      ->capture_default_str();
  app.add_option("--seed", s.seed, "crash: seed of the generator's choices")->capture_default_str();
  app.add_option("--ledger", s.ledger, "crash: write the ledger (JSON) to this file");
  app.add_option("--timeout", s.timeout,
                 "Longest wait for the server in any phase (expiry: for each start), seconds")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  auto* xchatd =
      app.add_option("--xchatd", c.xchatd, "xchatd binary to start")->capture_default_str();
  auto* synchronous =
      app.add_option("--synchronous", c.synchronous, "storage.synchronous of the started xchatd")
          ->check(CLI::IsMember({"FULL", "NORMAL"}))
          ->capture_default_str();
  auto* server_threads = app.add_option("--server-threads", c.server_threads,
                                        "server.threads of the started xchatd (0: one per core)")
                             ->check(CLI::Range(0, 256))
                             ->capture_default_str();
  auto* url = app.add_option("--url", c.url,
                             "Drive a running server instead, e.g. ws://127.0.0.1:8480/v1/ws")
                  ->excludes(xchatd)
                  ->excludes(synchronous)
                  ->excludes(server_threads);
  auto* server_pid = app.add_option(
      "--server-pid", c.server_pid,
      "With --url: the server's pid, for its CPU time and RSS (needed but in crash mode)");
  server_pid->needs(url);
}

ServerProcess::Options server_options(const CommandLine& c) {
  ServerProcess::Options options;
  options.binary = c.xchatd;
  options.synchronous = c.synchronous;
  options.threads = c.server_threads;
  return options;
}

Outcome run_scenario(const Settings& s, const Target& target) {
  switch (s.mode) {
    case Mode::kPairs:
    case Mode::kRate:
      return run_pairs(s, target);
    case Mode::kOffline:
      return run_offline(s, target);
    case Mode::kIdle:
      return run_idle(s, target);
    case Mode::kAttachments:
      return run_attachments(s, target);
    case Mode::kSoak:
      return run_soak(s, target);
    case Mode::kCrash:
      return run_crash(s, target);
    case Mode::kExpiry:
      break;  // starts its own servers: see run()
  }
  return {};
}

int run(CommandLine& c) {
  Settings& s = c.settings;
  s.mode = c.mode == "rate"          ? Mode::kRate
           : c.mode == "offline"     ? Mode::kOffline
           : c.mode == "idle"        ? Mode::kIdle
           : c.mode == "expiry"      ? Mode::kExpiry
           : c.mode == "attachments" ? Mode::kAttachments
           : c.mode == "soak"        ? Mode::kSoak
           : c.mode == "crash"       ? Mode::kCrash
                                     : Mode::kPairs;
  Target target;
  nlohmann::ordered_json params = parameters(s);
  if (s.mode == Mode::kCrash && c.url.empty()) {
    std::cerr
        << "xchat-bench: --mode crash drives the server tests/crash/run.sh kills: give --url\n";
    return kExitUsage;
  }
  if (s.mode == Mode::kExpiry && !c.url.empty()) {
    std::cerr << "xchat-bench: --mode expiry starts its own xchatd; --url does not apply\n";
    return kExitUsage;
  }
  if (!c.url.empty()) {
    std::string why;
    const auto endpoint = parse_loopback_url(c.url, &why);
    if (!endpoint) {
      std::cerr << "xchat-bench: " << why << "\n";
      return kExitUsage;
    }
    if (s.mode == Mode::kCrash && c.server_pid != 0) {
      std::cerr << "xchat-bench: --mode crash follows a server that restarts: no --server-pid\n";
      return kExitUsage;
    }
    if (s.mode != Mode::kCrash && c.server_pid == 0) {
      std::cerr << "xchat-bench: --url needs --server-pid\n";
      return kExitUsage;
    }
    if (s.mode != Mode::kCrash && !process_alive(c.server_pid)) {
      std::cerr << "xchat-bench: --server-pid " << c.server_pid << ": no such process\n";
      return kExitUsage;
    }
    target.endpoint = *endpoint;
    target.pid = c.server_pid;
    params["server"] = {{"url", c.url}, {"pid", c.server_pid}};
  } else {
    params["server"] = {
        {"xchatd", c.xchatd}, {"synchronous", c.synchronous}, {"threads", c.server_threads}};
  }
  const auto [open_files, enough] = raise_file_limit(connections_of(s));
  if (!enough) {
    std::cerr << "xchat-bench: " << connections_of(s) << " connections need "
              << connections_of(s) + kSpareDescriptors << " open files, and the limit is "
              << open_files
              << " (ulimit -Hn; raising it needs CAP_SYS_RESOURCE, up to /proc/sys/fs/nr_open)\n";
    return kExitUsage;
  }
  params["open_files_limit"] = open_files;
  if (!crypto::init_sodium()) {
    std::cerr << "xchat-bench: libsodium could not be initialised\n";
    return kExitIncomplete;
  }
  install_signal_handlers();

  if (s.mode == Mode::kExpiry) {
    const Outcome out = run_expiry(s, server_options(c));
    if (!out.failure.empty()) progress("failed: " + out.failure);
    std::cout << report(s, params, out).dump() << std::endl;
    return out.failure.empty() ? 0 : kExitIncomplete;
  }

  // Started before any io thread exists: the daemon is forked.
  std::unique_ptr<ServerProcess> server;
  if (c.url.empty()) {
    progress("starting " + c.xchatd);
    try {
      server = std::make_unique<ServerProcess>(server_options(c));
    } catch (const std::exception& e) {
      Outcome failed;
      failed.failure = std::string("could not start xchatd: ") + e.what();
      std::cout << report(s, params, failed).dump() << std::endl;
      return kExitIncomplete;
    }
    target.endpoint.address = boost::asio::ip::address_v4::loopback();
    target.endpoint.port = server->port();
    target.pid = server->pid();
    progress("xchatd (pid " + std::to_string(target.pid) + ") listens on port " +
             std::to_string(target.endpoint.port));
  }

  const Outcome out = run_scenario(s, target);
  if (!out.failure.empty()) {
    progress("failed: " + out.failure);
    const std::string log = server ? server->log_tail() : "";
    if (!log.empty()) progress("the end of xchatd's log:\n" + log);
  }
  server.reset();
  std::cout << report(s, params, out).dump() << std::endl;
  return out.failure.empty() && out.errors == 0 ? 0 : kExitIncomplete;
}

}  // namespace
}  // namespace xchat::bench

int main(int argc, char** argv) {
  CLI::App app{"xchat-bench: load generator for xchatd's messaging"};
  xchat::bench::CommandLine command_line;
  xchat::bench::add_options(app, command_line);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : xchat::bench::kExitUsage;
  }
  return xchat::bench::run(command_line);
}
