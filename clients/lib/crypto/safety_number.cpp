#include "crypto/safety_number.hpp"

#include <sodium.h>

#include <cstdint>

namespace xchat::client {

namespace {

constexpr int kIterations = 5200;
constexpr std::size_t kGroups = 6;
constexpr std::size_t kGroupBytes = 5;

std::string sha512(std::string_view a, std::string_view b) {
  crypto_hash_sha512_state state;
  crypto_hash_sha512_init(&state);
  crypto_hash_sha512_update(&state, reinterpret_cast<const unsigned char*>(a.data()), a.size());
  crypto_hash_sha512_update(&state, reinterpret_cast<const unsigned char*>(b.data()), b.size());
  std::string out(crypto_hash_sha512_BYTES, '\0');
  crypto_hash_sha512_final(&state, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

}  // namespace

std::string fingerprint(std::string_view handle_key, std::string_view identity_key) {
  // hash_0 = SHA-512(0x0000 || key || handle); hash_i = SHA-512(hash_(i-1) || key)
  std::string hash = sha512(std::string(2, '\0') + std::string(identity_key), handle_key);
  for (int i = 1; i < kIterations; ++i) hash = sha512(hash, identity_key);
  std::string digits;
  for (std::size_t g = 0; g < kGroups; ++g) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < kGroupBytes; ++i) {
      v = (v << 8) | static_cast<unsigned char>(hash[g * kGroupBytes + i]);
    }
    const std::string group = std::to_string(v % 100000);
    digits += std::string(5 - group.size(), '0') + group;
  }
  return digits;
}

std::string safety_number(std::string_view handle_a, std::string_view identity_key_a,
                          std::string_view handle_b, std::string_view identity_key_b) {
  std::string a = fingerprint(handle_a, identity_key_a);
  std::string b = fingerprint(handle_b, identity_key_b);
  return a < b ? a + b : b + a;
}

std::string group_digits(std::string_view digits) {
  std::string out;
  for (std::size_t i = 0; i < digits.size(); i += 5) {
    if (i > 0) out.push_back(' ');
    out.append(digits.substr(i, 5));
  }
  return out;
}

}  // namespace xchat::client
