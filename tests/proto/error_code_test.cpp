#include "xchat/error_code.hpp"

#include <gtest/gtest.h>

namespace xchat {
namespace {

TEST(ErrorCode, EveryCodeRoundTripsThroughItsWireName) {
  for (int i = 0; i < kErrorCodeCount; ++i) {
    const auto code = static_cast<ErrorCode>(i);
    EXPECT_EQ(error_code_from_string(to_string(code)), code) << to_string(code);
  }
  EXPECT_EQ(error_code_from_string("stale_devices"), ErrorCode::kStaleDevices);
  EXPECT_EQ(error_code_from_string("no_such_code"), std::nullopt);
  EXPECT_EQ(error_code_from_string(""), std::nullopt);
}

}  // namespace
}  // namespace xchat
