#include "xchat/decimal.hpp"

#include <gtest/gtest.h>

namespace xchat {
namespace {

TEST(Decimal, TheWholeTextAsANonNegativeInteger) {
  EXPECT_EQ(parse_decimal("0"), 0);
  EXPECT_EQ(parse_decimal("1048593"), 1048593);
  EXPECT_EQ(parse_decimal("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1x", "0x10", "9223372036854775808"}) {
    EXPECT_EQ(parse_decimal(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace xchat
