#pragma once

#include <string>

#include "load/latency_recorder.hpp"

namespace xchat::testing {

// Prints the count, p50, p99 and max of `latency` (in ms) to stdout and records them as
// properties of the running test (they land in the XML report), under `what`. Tests that
// abuse the server report how the well-behaved clients fared this way rather than assert
// on time, which a loaded machine would turn into flakiness.
void report_latency(const std::string& what, bench::LatencyRecorder& latency);

}  // namespace xchat::testing
