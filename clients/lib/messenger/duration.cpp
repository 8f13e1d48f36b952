#include "messenger/duration.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace xchat::client {

namespace {

constexpr std::array<std::pair<char, std::uint32_t>, 4> kUnits = {
    {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

}  // namespace

Result<std::uint32_t> parse_duration(std::string_view text) {
  const Status bad(ErrorCode::kBadRequest,
                   "not a duration: '" + std::string(text) +
                       "' (a whole number of seconds, or with s, m, h or d: 30s, 5m, 1h, 7d)");
  std::uint32_t unit = 1;
  if (!text.empty() && (text.back() < '0' || text.back() > '9')) {
    const auto* found = std::find_if(kUnits.begin(), kUnits.end(),
                                     [&](const auto& u) { return u.first == text.back(); });
    if (found == kUnits.end()) return bad;
    unit = found->second;
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 9) return bad;  // 9 digits cannot overflow below
  std::uint64_t n = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return bad;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  const std::uint64_t seconds = n * unit;
  if (seconds == 0 || seconds > kMaxDurationSeconds) {
    return Status(ErrorCode::kBadRequest,
                  "a timer must be between 1 second and " + format_duration(kMaxDurationSeconds));
  }
  return static_cast<std::uint32_t>(seconds);
}

std::string format_duration(std::int64_t seconds) {
  std::string out;
  int parts = 0;
  for (const auto& [name, size] : kUnits) {
    if (seconds >= size && parts < 2) {
      out += (out.empty() ? "" : " ") + std::to_string(seconds / size) + name;
      seconds %= size;
      ++parts;
    } else if (parts > 0) {
      break;  // only adjacent units: "1d 2h", never "1d 5s"
    }
  }
  return out.empty() ? "0s" : out;
}

}  // namespace xchat::client
