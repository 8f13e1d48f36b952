#include "integration/support/sample_files.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace xchat::testing {

namespace {

constexpr std::size_t kBlockBytes = 1 << 20;
constexpr std::size_t kDigestBytes = 32;
constexpr std::size_t kChaChaBlock = 64;

// libsodium picks its fastest implementations when initialised (idempotent).
void init_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
}

}  // namespace

void sample_bytes(std::uint64_t seed, std::int64_t offset, char* out, std::size_t n) {
  init_sodium();
  std::array<unsigned char, crypto_stream_chacha20_ietf_KEYBYTES> key{};
  for (int i = 0; i < 8; ++i)
    key[static_cast<std::size_t>(i)] = static_cast<unsigned char>(seed >> (8 * i));
  const std::array<unsigned char, crypto_stream_chacha20_ietf_NONCEBYTES> nonce{};
  const auto at = static_cast<std::uint64_t>(offset);
  auto block = static_cast<std::uint32_t>(at / kChaChaBlock);
  auto* dst = reinterpret_cast<unsigned char*>(out);
  if (const std::size_t skip = at % kChaChaBlock; skip != 0 && n > 0) {
    std::array<unsigned char, kChaChaBlock> first{};
    crypto_stream_chacha20_ietf_xor_ic(first.data(), first.data(), first.size(), nonce.data(),
                                       block, key.data());
    const std::size_t k = std::min(n, kChaChaBlock - skip);
    std::memcpy(dst, first.data() + skip, k);
    dst += k;
    n -= k;
    ++block;
  }
  std::memset(dst, 0, n);
  crypto_stream_chacha20_ietf_xor_ic(dst, dst, n, nonce.data(), block, key.data());
}

std::string sample_string(std::uint64_t seed, std::size_t n) {
  std::string out(n, '\0');
  sample_bytes(seed, 0, out.data(), n);
  return out;
}

void write_sample_file(const std::string& path, std::uint64_t size, std::uint32_t seed) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<char> block(kBlockBytes);
  for (std::uint64_t at = 0; at < size; at += block.size()) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kBlockBytes, size - at));
    sample_bytes(seed, static_cast<std::int64_t>(at), block.data(), n);
    out.write(block.data(), static_cast<std::streamsize>(n));
  }
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

StreamDigest::StreamDigest() {
  init_sodium();
  crypto_generichash_init(&state_, nullptr, 0, kDigestBytes);
}

void StreamDigest::add(const char* data, std::size_t n) {
  crypto_generichash_update(&state_, reinterpret_cast<const unsigned char*>(data), n);
}

std::string StreamDigest::hex() {
  unsigned char digest[kDigestBytes];
  crypto_generichash_final(&state_, digest, sizeof digest);
  char hex[2 * sizeof digest + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

std::string file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  StreamDigest digest;
  std::vector<char> block(kBlockBytes);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    digest.add(block.data(), static_cast<std::size_t>(in.gcount()));
  }
  return digest.hex();
}

std::string sample_digest(std::uint64_t seed, std::int64_t from, std::int64_t to) {
  StreamDigest digest;
  std::vector<char> block(kBlockBytes);
  for (std::int64_t at = from; at < to;) {
    const auto n = static_cast<std::size_t>(std::min<std::int64_t>(to - at, kBlockBytes));
    sample_bytes(seed, at, block.data(), n);
    digest.add(block.data(), n);
    at += static_cast<std::int64_t>(n);
  }
  return digest.hex();
}

}  // namespace xchat::testing
