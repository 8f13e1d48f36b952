#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace xchat {

// Standard base64 (RFC 4648 section 4, with "=" padding): the encoding of every binary
// field in the protocol.
std::string base64_encode(std::string_view bytes);

// Strict decoding: rejects whitespace, missing padding and any other alphabet.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace xchat
