#include "integration/support/sample_files.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace xchat::testing {

namespace {

constexpr std::size_t kBlockBytes = 1 << 20;

// libsodium picks its fastest implementations when initialised (idempotent).
void init_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
}

}  // namespace

void write_sample_file(const std::string& path, std::uint64_t size, std::uint32_t seed) {
  init_sodium();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<char> block(kBlockBytes);
  std::array<unsigned char, randombytes_SEEDBYTES> block_seed{};
  for (std::uint64_t at = 0, index = 0; at < size; at += block.size(), ++index) {
    // Each block from its own seed, so no two blocks repeat.
    block_seed[0] = static_cast<unsigned char>(seed);
    block_seed[1] = static_cast<unsigned char>(seed >> 8);
    for (int i = 0; i < 8; ++i) block_seed[2 + i] = static_cast<unsigned char>(index >> (8 * i));
    randombytes_buf_deterministic(block.data(), block.size(), block_seed.data());
    out.write(block.data(),
              static_cast<std::streamsize>(std::min<std::uint64_t>(kBlockBytes, size - at)));
  }
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string file_digest(const std::string& path) {
  init_sodium();
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 32);
  std::vector<char> block(kBlockBytes);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(block.data()),
                              static_cast<unsigned long long>(in.gcount()));
  }
  unsigned char digest[32];
  crypto_generichash_final(&state, digest, sizeof digest);
  char hex[2 * sizeof digest + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

}  // namespace xchat::testing
