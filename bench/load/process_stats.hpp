#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>

namespace xchat::bench {

// What /proc and getrusage(2) say about the server and the generator. Linux only.

// CPU time (user + system, every thread) that process `pid` has used so far, from
// /proc/PID/stat (clock-tick resolution, usually 10 ms); nullopt when it cannot be read.
std::optional<double> process_cpu_seconds(pid_t pid);

// Resident set size (VmRSS in /proc/PID/status) in KiB; nullopt when it cannot be read.
std::optional<long> process_rss_kib(pid_t pid);

// The largest resident set size the process has had so far (VmHWM), in KiB.
std::optional<long> process_peak_rss_kib(pid_t pid);

// Open file descriptors of process `pid` (the entries of /proc/PID/fd); nullopt when they
// cannot be listed.
std::optional<long> process_open_files(pid_t pid);

// Whether `pid` exists and has not exited (a zombie counts as exited).
bool process_alive(pid_t pid);

// CPU time (user + system, every thread) of this process.
double own_cpu_seconds();

// Taken at both ends of a measured interval.
struct CpuSample {
  std::chrono::steady_clock::time_point at;
  double server = 0;  // -1 when the server's figure could not be read
  double generator = 0;
};
CpuSample sample_cpu(pid_t server);

// What was used between two samples.
struct CpuUse {
  double seconds = 0;    // wall-clock length of the interval
  double server = 0;     // server CPU seconds; -1 when unknown
  double generator = 0;  // generator CPU seconds
};
CpuUse cpu_between(const CpuSample& from, const CpuSample& to);

}  // namespace xchat::bench
