#pragma once

#include <cstddef>
#include <string>

namespace xchat::crypto {

// Initialises libsodium. Call once in main() before any thread starts; returns false if
// the library cannot run (no entropy source).
bool init_sodium();

// `n` bytes from the operating system's CSPRNG. Thread-safe.
std::string random_bytes(std::size_t n);

}  // namespace xchat::crypto
