#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace xchat::net {

// The part of a download a Range header asks for (RFC 9110 section 14): one range of
// bytes, [first, last] inclusive.
struct ByteRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::int64_t length() const { return last - first + 1; }
};

struct RangeRequest {
  enum class Kind { kWhole, kPart, kUnsatisfiable };
  Kind kind = Kind::kWhole;
  ByteRange range;  // kPart only
};

// Reads `header` (empty when absent) against a resource of `size` bytes. Anything this
// server does not serve as a part — no header, another unit, several ranges, a malformed
// one — asks for the whole, as HTTP allows; a well-formed range that selects nothing is
// unsatisfiable.
RangeRequest parse_range(std::string_view header, std::int64_t size);

}  // namespace xchat::net
