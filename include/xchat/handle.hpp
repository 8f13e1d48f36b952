#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace xchat {

// An X-style account handle: "@" then 1..15 of A-Z a-z 0-9 _. Handles are unique
// case-insensitively; the display form keeps the case the owner registered.
struct Handle {
  std::string display;  // as registered, with the leading "@", e.g. "@Alice_1"
  std::string key;      // canonical: lower-case, with the leading "@", e.g. "@alice_1"
};

inline constexpr std::size_t kMaxHandleChars = 15;
// How long a "handle" field may be on the wire. Longer than any handle, so a slightly
// too long one is answered invalid_handle (or, at login, unknown_device), not too_large.
inline constexpr std::size_t kMaxHandleFieldBytes = 64;

// Parses a handle as typed by a user. Returns nullopt unless `text` is exactly a valid
// handle (no surrounding spaces, the "@" is required).
std::optional<Handle> parse_handle(std::string_view text);

}  // namespace xchat
