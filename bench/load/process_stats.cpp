#include "load/process_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace xchat::bench {

namespace {

// The fields of /proc/PID/stat after the command name, which is in parentheses and may
// itself contain spaces and parentheses: so everything after the last ')'.
std::optional<std::istringstream> stat_fields(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  return std::istringstream(line.substr(close + 1));
}

// A "Name:   123 kB" line of /proc/PID/status, in KiB.
std::optional<long> status_kib(pid_t pid, std::string_view name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(name) && line.size() > name.size() && line[name.size()] == ':') {
      return std::stol(line.substr(name.size() + 1));
    }
  }
  return std::nullopt;
}

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

}  // namespace

std::optional<double> process_cpu_seconds(pid_t pid) {
  auto fields = stat_fields(pid);
  if (!fields) return std::nullopt;
  // proc(5): after the name come state (3), ..., utime (14) and stime (15).
  std::string skip;
  for (int field = 3; field <= 13; ++field) *fields >> skip;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  if (!(*fields >> utime >> stime)) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<long> process_rss_kib(pid_t pid) { return status_kib(pid, "VmRSS"); }

std::optional<long> process_peak_rss_kib(pid_t pid) { return status_kib(pid, "VmHWM"); }

std::optional<long> process_open_files(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  if (ec) return std::nullopt;
  long count = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    ++count;
  }
  return count;
}

bool process_alive(pid_t pid) {
  auto fields = stat_fields(pid);
  std::string state;
  if (!fields || !(*fields >> state)) return false;
  return state != "Z" && state != "X";
}

double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

CpuSample sample_cpu(pid_t server) {
  CpuSample s;
  s.at = std::chrono::steady_clock::now();
  s.server = process_cpu_seconds(server).value_or(-1);
  s.generator = own_cpu_seconds();
  return s;
}

CpuUse cpu_between(const CpuSample& from, const CpuSample& to) {
  CpuUse use;
  use.seconds = std::chrono::duration<double>(to.at - from.at).count();
  use.server = from.server < 0 || to.server < 0 ? -1 : to.server - from.server;
  use.generator = to.generator - from.generator;
  return use;
}

}  // namespace xchat::bench
