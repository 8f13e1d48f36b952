#pragma once

#include <sodium.h>

#include <cstdint>
#include <string>

namespace xchat::testing {

// Data to send in tests, made fast and compared without holding it in memory.

// Bytes [offset, offset + n) of the pseudo-random stream named by `seed` (ChaCha20's key
// stream, about a gigabyte a second): any part of it can be made on its own, as a resumed
// upload needs.
void sample_bytes(std::uint64_t seed, std::int64_t offset, char* out, std::size_t n);
std::string sample_string(std::uint64_t seed, std::size_t n);

// Writes the first `size` bytes of stream `seed` to `path`. Throws std::runtime_error when
// the file cannot be written.
void write_sample_file(const std::string& path, std::uint64_t size, std::uint32_t seed = 1);

// BLAKE2b-256 of bytes fed piece by piece, in hex.
class StreamDigest {
 public:
  StreamDigest();
  void add(const char* data, std::size_t n);
  std::string hex();  // once, after the last add()

 private:
  crypto_generichash_state state_{};
};

// The digest of the file at `path`; "" when it cannot be read.
std::string file_digest(const std::string& path);
// The digest of bytes [from, to) of stream `seed`.
std::string sample_digest(std::uint64_t seed, std::int64_t from, std::int64_t to);

}  // namespace xchat::testing
