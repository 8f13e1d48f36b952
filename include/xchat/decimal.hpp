#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace xchat {

// A non-negative decimal integer that is the whole of `text` (digits only: no sign, no
// space), as HTTP headers such as Upload-Length and Range carry them; nothing otherwise,
// or when it does not fit in 63 bits.
std::optional<std::int64_t> parse_decimal(std::string_view text);

}  // namespace xchat
