#include "net/byte_range.hpp"

#include <gtest/gtest.h>

namespace xchat::net {
namespace {

using Kind = RangeRequest::Kind;

void expect_part(std::string_view header, std::int64_t size, std::int64_t first,
                 std::int64_t last) {
  const RangeRequest r = parse_range(header, size);
  ASSERT_EQ(r.kind, Kind::kPart) << header;
  EXPECT_EQ(r.range.first, first) << header;
  EXPECT_EQ(r.range.last, last) << header;
}

TEST(ByteRange, OneRangeInEachOfItsThreeForms) {
  expect_part("bytes=0-99", 1000, 0, 99);
  expect_part("bytes=500-", 1000, 500, 999);
  expect_part("bytes=-10", 1000, 990, 999);
  expect_part("bytes=990-5000", 1000, 990, 999);  // a last byte past the end is clipped
  expect_part("bytes=-5000", 1000, 0, 999);       // so is a suffix longer than the whole
  expect_part("bytes=999-999", 1000, 999, 999);
  EXPECT_EQ(parse_range("bytes=0-99", 1000).range.length(), 100);
}

TEST(ByteRange, WhatItDoesNotServeAsAPartAsksForTheWhole) {
  for (const char* header : {"", "items=0-1", "bytes=0-1,5-6", "bytes=abc", "bytes=5-1", "bytes=-",
                             "bytes=1-2-3", "bytes= 0-1", "bytes=-1x", "bytes=+1-2"}) {
    EXPECT_EQ(parse_range(header, 1000).kind, Kind::kWhole) << header;
  }
}

TEST(ByteRange, ARangeThatSelectsNothingIsUnsatisfiable) {
  EXPECT_EQ(parse_range("bytes=1000-", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=1000-2000", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 1000).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-", 0).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(parse_range("bytes=-5", 0).kind, Kind::kUnsatisfiable);
}

}  // namespace
}  // namespace xchat::net
