#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace xchat::bench {

// The largest resident set size a process reaches during an interval. VmHWM would say the
// same only for the process's whole life, so a transfer that stays below an earlier peak
// would be invisible; this polls VmRSS on a thread of its own from construction until
// stop() (or destruction). A peak shorter than `interval` can slip between two samples.
// stop() is for the thread that constructed it.
class RssSampler {
 public:
  RssSampler(pid_t pid, std::chrono::milliseconds interval);
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;
  ~RssSampler();

  // Stops sampling (idempotent) and returns the largest VmRSS seen, in KiB; -1 when none
  // could be read.
  long stop();

 private:
  void sample();

  const pid_t pid_;
  const std::chrono::milliseconds interval_;
  std::atomic<bool> stopping_{false};
  long peak_kib_ = -1;  // written by the thread until it is joined
  std::thread thread_;
};

}  // namespace xchat::bench
