#pragma once

#include <cstddef>
#include <string_view>

namespace xchat::crypto {

inline constexpr std::size_t kEd25519PublicKeyBytes = 32;
inline constexpr std::size_t kEd25519SignatureBytes = 64;

// Verifies a detached Ed25519 signature (libsodium's crypto_sign_verify_detached, which
// rejects small-order and non-canonical keys). Wrong sizes simply fail verification.
// Thread-safe.
bool ed25519_verify(std::string_view signature, std::string_view message,
                    std::string_view public_key);

}  // namespace xchat::crypto
