#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

namespace xchat::bench {

// Latency samples of one worker, in microseconds, for exact percentiles.
//
// Thread safety: none; each worker records into its own, and the main thread merges them
// after the workers stopped.
class LatencyRecorder {
 public:
  // Samples kept. Past it each new sample replaces a random kept one (reservoir sampling),
  // so the percentiles become estimates while count and max stay exact. 16 Mi samples are
  // 64 MiB, several minutes of the fastest run this machine can drive.
  static constexpr std::size_t kMaxSamples = std::size_t{1} << 24;

  struct Summary {
    std::uint64_t count = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    double max_ms = 0;
  };

  void record(std::chrono::steady_clock::duration latency);
  // Adds `other`'s samples to this one's.
  void merge(const LatencyRecorder& other);
  // Sorts the samples (nearest-rank percentiles).
  Summary summarize();

 private:
  std::vector<std::uint32_t> samples_us_;
  std::uint64_t count_ = 0;
  std::uint32_t max_us_ = 0;
  std::minstd_rand random_{20261125};
};

}  // namespace xchat::bench
