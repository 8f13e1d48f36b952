#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace xchat::client {

// `v` as `bytes` bytes, most significant first: how integers wider or narrower than
// u32_field's four bytes enter a field list (ByteReader::field_integer reads them back).
inline std::string big_endian(std::uint64_t v, std::size_t bytes) {
  std::string out(bytes, '\0');
  for (std::size_t i = 0; i < bytes; ++i) {
    out[bytes - 1 - i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

}  // namespace xchat::client
