#include "load/rss_sampler.hpp"

#include <algorithm>

#include "load/process_stats.hpp"

namespace xchat::bench {

RssSampler::RssSampler(pid_t pid, std::chrono::milliseconds interval)
    : pid_(pid), interval_(interval) {
  sample();
  thread_ = std::thread([this] {
    while (!stopping_.load()) {
      std::this_thread::sleep_for(interval_);
      sample();
    }
  });
}

RssSampler::~RssSampler() { stop(); }

long RssSampler::stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  return peak_kib_;
}

void RssSampler::sample() {
  if (const auto rss = process_rss_kib(pid_)) peak_kib_ = std::max(peak_kib_, *rss);
}

}  // namespace xchat::bench
