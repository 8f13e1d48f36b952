#pragma once

#include <cstdint>
#include <string>

namespace xchat::testing {

// Files to send in tests, made fast and compared without holding them in memory.

// Writes `size` bytes to `path`: a pseudo-random stream (ChaCha20) determined by `seed`,
// about a gigabyte a second. Throws std::runtime_error when the file cannot be written.
void write_sample_file(const std::string& path, std::uint64_t size, std::uint32_t seed = 1);

// The BLAKE2b-256 of the file at `path`, in hex; "" when it cannot be read.
std::string file_digest(const std::string& path);

}  // namespace xchat::testing
