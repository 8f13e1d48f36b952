#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "xchat/status.hpp"

namespace xchat::proto {

inline constexpr std::size_t kMaxJsonDepth = 16;
inline constexpr std::size_t kMaxIdChars = 64;

// One decoded client frame. When `status` is an error the other fields hold what could be
// salvaged: `id` is echoed in the error reply if it was readable, else null.
struct Request {
  nlohmann::json id;  // a string of at most kMaxIdChars, or an integer
  std::string type;
  nlohmann::json body;  // the whole frame: an object
  Status status;
};

// Parses without exceptions. Rejects, with kBadRequest: nesting deeper than
// kMaxJsonDepth (checked before parsing, so hostile depth costs nothing), invalid JSON
// or UTF-8, a non-object, a missing/ill-typed "id" or "type".
Request decode_request(std::string_view frame);

}  // namespace xchat::proto
