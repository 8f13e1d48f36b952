#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "xchat/status.hpp"

namespace xchat::client {

// Vanishing timers as people write them: a whole number followed by s, m, h or d (30s,
// 5m, 1h, 7d), or plain seconds (90). Positive, at most kMaxDurationSeconds; the server
// enforces its own, narrower range. kBadRequest, saying what is allowed, otherwise.
inline constexpr std::uint32_t kMaxDurationSeconds = 365u * 24 * 3600;
Result<std::uint32_t> parse_duration(std::string_view text);

// The other way: the largest two units, rounded down ("1h 30m", "7d", "29s"); "0s" for 0.
std::string format_duration(std::int64_t seconds);

}  // namespace xchat::client
