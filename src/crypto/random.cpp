#include "crypto/random.hpp"

#include <sodium.h>

namespace xchat::crypto {

bool init_sodium() { return sodium_init() >= 0; }

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

}  // namespace xchat::crypto
