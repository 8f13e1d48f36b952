#include "crypto/x25519.hpp"

#include <sodium.h>

#include <stdexcept>

namespace xchat::client {

X25519KeyPair::~X25519KeyPair() {
  if (!secret_key.empty()) sodium_memzero(secret_key.data(), secret_key.size());
}

X25519KeyPair X25519KeyPair::generate() {
  std::string secret(kX25519Bytes, '\0');
  randombytes_buf(secret.data(), secret.size());
  X25519KeyPair pair = from_secret(secret);
  sodium_memzero(secret.data(), secret.size());
  return pair;
}

X25519KeyPair X25519KeyPair::from_secret(std::string_view secret) {
  if (secret.size() != kX25519Bytes) throw std::invalid_argument("X25519 secret must be 32 bytes");
  X25519KeyPair pair;
  pair.secret_key.assign(secret);
  pair.public_key.assign(kX25519Bytes, '\0');
  crypto_scalarmult_base(reinterpret_cast<unsigned char*>(pair.public_key.data()),
                         reinterpret_cast<const unsigned char*>(pair.secret_key.data()));
  return pair;
}

std::optional<std::string> x25519(std::string_view secret, std::string_view public_key) {
  if (secret.size() != kX25519Bytes || public_key.size() != kX25519Bytes) return std::nullopt;
  std::string shared(kX25519Bytes, '\0');
  // libsodium refuses (-1) when the result is all zeros.
  if (crypto_scalarmult(reinterpret_cast<unsigned char*>(shared.data()),
                        reinterpret_cast<const unsigned char*>(secret.data()),
                        reinterpret_cast<const unsigned char*>(public_key.data())) != 0) {
    return std::nullopt;
  }
  return shared;
}

}  // namespace xchat::client
