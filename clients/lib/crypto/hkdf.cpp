#include "crypto/hkdf.hpp"

#include <sodium.h>

#include <stdexcept>

namespace xchat::client {

std::string hmac_sha256(std::string_view key, std::string_view message) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(out.data()));
  sodium_memzero(&state, sizeof state);
  return out;
}

std::string hkdf_sha256(std::string_view salt, std::string_view input_key_material,
                        std::string_view info, std::size_t length) {
  constexpr std::size_t kHashBytes = crypto_auth_hmacsha256_BYTES;
  if (length > 255 * kHashBytes) throw std::invalid_argument("hkdf_sha256: length too large");
  const std::string zero_salt(kHashBytes, '\0');
  std::string prk =
      hmac_sha256(salt.empty() ? std::string_view(zero_salt) : salt, input_key_material);
  std::string out;
  out.reserve(length);
  std::string block;
  for (unsigned char counter = 1; out.size() < length; ++counter) {
    std::string message = block;
    message.append(info);
    message.push_back(static_cast<char>(counter));
    block = hmac_sha256(prk, message);
    sodium_memzero(message.data(), message.size());
    out.append(block, 0, std::min(block.size(), length - out.size()));
  }
  sodium_memzero(prk.data(), prk.size());
  sodium_memzero(block.data(), block.size());
  return out;
}

}  // namespace xchat::client
