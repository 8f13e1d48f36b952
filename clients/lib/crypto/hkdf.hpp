#pragma once

#include <string>
#include <string_view>

namespace xchat::client {

// HKDF with HMAC-SHA-256 (RFC 5869), built from libsodium's crypto_auth_hmacsha256:
// libsodium 1.0.18 has no HKDF of its own. `length` is at most 255 * 32 bytes; an empty
// salt means 32 zero bytes, as the RFC says. Pure and thread-safe.
std::string hkdf_sha256(std::string_view salt, std::string_view input_key_material,
                        std::string_view info, std::size_t length);

// One HMAC-SHA-256 (the chain-key step of the Double Ratchet).
std::string hmac_sha256(std::string_view key, std::string_view message);

}  // namespace xchat::client
