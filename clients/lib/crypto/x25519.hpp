#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace xchat::client {

inline constexpr std::size_t kX25519Bytes = 32;

// A Curve25519 Diffie-Hellman key pair; 32-byte strings. The secret is wiped when the pair
// is destroyed (copies wipe their own).
struct X25519KeyPair {
  std::string public_key;
  std::string secret_key;

  X25519KeyPair() = default;
  X25519KeyPair(const X25519KeyPair&) = default;
  X25519KeyPair(X25519KeyPair&&) noexcept = default;
  X25519KeyPair& operator=(const X25519KeyPair&) = default;
  X25519KeyPair& operator=(X25519KeyPair&&) noexcept = default;
  ~X25519KeyPair();

  // A fresh pair from libsodium's CSPRNG.
  static X25519KeyPair generate();
  // The pair whose secret is `secret` (32 bytes, clamped by X25519 itself).
  static X25519KeyPair from_secret(std::string_view secret);
};

// Where new ratchet and ephemeral key pairs come from: X25519KeyPair::generate in use,
// a seeded sequence in the tests that pin the test vectors.
using KeyPairSource = std::function<X25519KeyPair()>;

// X25519(secret, public). Nothing when either key has the wrong size or the result is all
// zeros (the public key has low order: the peer would control the shared secret).
std::optional<std::string> x25519(std::string_view secret, std::string_view public_key);

}  // namespace xchat::client
