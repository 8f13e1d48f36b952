#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace xchat {

// Lowercase hexadecimal: how attachment ids appear in URLs, file names and JSON.
std::string hex_encode(std::string_view bytes);

// Strict decoding of lowercase hex; nothing for an odd length or any other character.
std::optional<std::string> hex_decode(std::string_view text);

}  // namespace xchat
