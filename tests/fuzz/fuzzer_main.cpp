// The libFuzzer entry point of one target: CMake compiles this file once per target,
// naming the target's function in XCHAT_FUZZ_FUNCTION.
#include <cstddef>
#include <cstdint>

#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  xchat::fuzz::XCHAT_FUZZ_FUNCTION({data, size});
  return 0;
}
