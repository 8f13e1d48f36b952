#pragma once

#include <cstdint>
#include <string>

namespace xchat::client {

// A size as people read it, in binary units with three significant digits at most: "0 B",
// "999 B", "1.00 KiB", "12.5 MiB", "200 MiB", "2.00 GiB".
std::string format_bytes(std::uint64_t bytes);

}  // namespace xchat::client
