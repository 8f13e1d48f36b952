#include "xchat/base64.hpp"

#include <array>
#include <cstdint>

namespace xchat {

// Table-driven rather than libsodium's constant-time codec, which cost ten times as much:
// the server encodes and decodes ciphertext, public keys and signatures, never a secret,
// so the time a table lookup takes reveals nothing worth hiding. Every envelope passes
// through here twice.

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  return table;
}

constexpr auto kDecode = make_decode_table();

std::uint8_t sextet(char c) { return kDecode[static_cast<unsigned char>(c)]; }

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4, '=');
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
  std::size_t o = 0;
  for (; i + 3 <= bytes.size(); i += 3, o += 4) {
    const std::uint32_t v =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out[o] = kAlphabet[v >> 18];
    out[o + 1] = kAlphabet[(v >> 12) & 63];
    out[o + 2] = kAlphabet[(v >> 6) & 63];
    out[o + 3] = kAlphabet[v & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    const std::uint32_t v =
        (std::uint32_t{in[i]} << 16) | (rest == 2 ? std::uint32_t{in[i + 1]} << 8 : 0);
    out[o] = kAlphabet[v >> 18];
    out[o + 1] = kAlphabet[(v >> 12) & 63];
    if (rest == 2) out[o + 2] = kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return std::string();
  const std::size_t padding = text.back() != '=' ? 0 : text[text.size() - 2] == '=' ? 2 : 1;
  std::string out(text.size() / 4 * 3 - padding, '\0');
  const std::size_t full = text.size() / 4 - (padding > 0 ? 1 : 0);
  std::size_t o = 0;
  for (std::size_t q = 0; q < full; ++q) {
    const char* c = text.data() + q * 4;
    const std::uint8_t a = sextet(c[0]), b = sextet(c[1]), d = sextet(c[2]), e = sextet(c[3]);
    if (((a | b | d | e) & 0xc0) != 0) return std::nullopt;  // kInvalid has those bits
    const std::uint32_t v =
        (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (std::uint32_t{d} << 6) | e;
    out[o++] = static_cast<char>(v >> 16);
    out[o++] = static_cast<char>((v >> 8) & 0xff);
    out[o++] = static_cast<char>(v & 0xff);
  }
  if (padding > 0) {
    // The last quantum: "xx==" or "xxx=", whose unused low bits must be zero so that
    // every byte string has exactly one encoding.
    const char* c = text.data() + full * 4;
    const std::uint8_t a = sextet(c[0]), b = sextet(c[1]);
    const std::uint8_t d = padding == 1 ? sextet(c[2]) : 0;
    if (((a | b | d) & 0xc0) != 0) return std::nullopt;
    const std::uint32_t v =
        (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) | (std::uint32_t{d} << 6);
    if (padding == 2 && (v & 0xffff) != 0) return std::nullopt;
    if (padding == 1 && (v & 0xff) != 0) return std::nullopt;
    out[o++] = static_cast<char>(v >> 16);
    if (padding == 1) out[o++] = static_cast<char>((v >> 8) & 0xff);
  }
  return out;
}

}  // namespace xchat
