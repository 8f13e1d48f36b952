#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "fuzz/targets.hpp"

namespace xchat::fuzz {

void invariant_failed(std::string_view what, std::string_view detail) {
  // Only the start of the detail: it may be a whole reply, and the input is saved anyway.
  std::fprintf(stderr, "fuzz invariant failed: %.*s: %.*s\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(std::min<std::size_t>(detail.size(), 2000)),
               detail.data());
  std::abort();
}

}  // namespace xchat::fuzz
