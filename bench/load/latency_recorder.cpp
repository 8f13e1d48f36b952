#include "load/latency_recorder.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace xchat::bench {

void LatencyRecorder::record(std::chrono::steady_clock::duration latency) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
  const auto clamped = static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(us, 0, std::numeric_limits<std::uint32_t>::max()));
  ++count_;
  max_us_ = std::max(max_us_, clamped);
  if (samples_us_.size() < kMaxSamples) {
    samples_us_.push_back(clamped);
    return;
  }
  const std::uint64_t slot = std::uniform_int_distribution<std::uint64_t>(0, count_ - 1)(random_);
  if (slot < kMaxSamples) samples_us_[slot] = clamped;
}

void LatencyRecorder::merge(const LatencyRecorder& other) {
  const std::size_t room = kMaxSamples - std::min(kMaxSamples, samples_us_.size());
  const std::size_t take = std::min(room, other.samples_us_.size());
  samples_us_.insert(samples_us_.end(), other.samples_us_.begin(),
                     other.samples_us_.begin() + static_cast<std::ptrdiff_t>(take));
  count_ += other.count_;
  max_us_ = std::max(max_us_, other.max_us_);
}

LatencyRecorder::Summary LatencyRecorder::summarize() {
  Summary s;
  s.count = count_;
  if (samples_us_.empty()) return s;
  std::sort(samples_us_.begin(), samples_us_.end());
  const auto rank = [this](double p) {
    const auto n = static_cast<double>(samples_us_.size());
    const auto index = static_cast<std::size_t>(std::max(1.0, std::ceil(p * n))) - 1;
    return samples_us_[index] / 1000.0;
  };
  s.p50_ms = rank(0.50);
  s.p99_ms = rank(0.99);
  s.max_ms = max_us_ / 1000.0;
  return s;
}

}  // namespace xchat::bench
