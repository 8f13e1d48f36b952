#include "messenger/byte_size.hpp"

#include <gtest/gtest.h>

namespace xchat::client {
namespace {

TEST(ByteSize, ThreeSignificantDigitsInBinaryUnits) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1), "1 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1.00 KiB");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(12800), "12.5 KiB");
  EXPECT_EQ(format_bytes(200ull << 20), "200 MiB");
  EXPECT_EQ(format_bytes((1ull << 20) - 1), "1.00 MiB");
  EXPECT_EQ(format_bytes(2ull << 30), "2.00 GiB");
}

}  // namespace
}  // namespace xchat::client
