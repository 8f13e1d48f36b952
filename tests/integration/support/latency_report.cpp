#include "integration/support/latency_report.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace xchat::testing {

void report_latency(const std::string& what, bench::LatencyRecorder& latency) {
  const auto s = latency.summarize();
  std::printf("[ latency  ] %s: %llu round trips, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              what.c_str(), static_cast<unsigned long long>(s.count), s.p50_ms, s.p99_ms,
              s.max_ms);
  std::fflush(stdout);
  ::testing::Test::RecordProperty(what + " count", std::to_string(s.count));
  ::testing::Test::RecordProperty(what + " p50_ms", std::to_string(s.p50_ms));
  ::testing::Test::RecordProperty(what + " p99_ms", std::to_string(s.p99_ms));
  ::testing::Test::RecordProperty(what + " max_ms", std::to_string(s.max_ms));
}

}  // namespace xchat::testing
