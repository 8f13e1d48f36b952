#include "messenger/duration.hpp"

#include <gtest/gtest.h>

namespace xchat::client {
namespace {

TEST(Duration, ParsesUnitsAndPlainSeconds) {
  EXPECT_EQ(*parse_duration("30s"), 30u);
  EXPECT_EQ(*parse_duration("5m"), 300u);
  EXPECT_EQ(*parse_duration("1h"), 3600u);
  EXPECT_EQ(*parse_duration("7d"), 604800u);
  EXPECT_EQ(*parse_duration("90"), 90u);
  EXPECT_EQ(*parse_duration("365d"), kMaxDurationSeconds);
}

TEST(Duration, RefusesWhatIsNotAPositiveWholeDuration) {
  for (const char* bad : {"", "s", "0", "0s", "-5s", "1.5h", "5 m", "5w", "1h30m", "h1", "366d",
                          "999999999d", "12345678901", "+5"}) {
    const auto parsed = parse_duration(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kBadRequest) << bad;
  }
  EXPECT_NE(parse_duration("5w").status().message().find("30s, 5m, 1h, 7d"), std::string::npos);
}

TEST(Duration, FormatsTheTwoLargestAdjacentUnits) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(29), "29s");
  EXPECT_EQ(format_duration(60), "1m");
  EXPECT_EQ(format_duration(90), "1m 30s");
  EXPECT_EQ(format_duration(3600), "1h");
  EXPECT_EQ(format_duration(3605), "1h");
  EXPECT_EQ(format_duration(5400), "1h 30m");
  EXPECT_EQ(format_duration(604800), "7d");
  EXPECT_EQ(format_duration(90061), "1d 1h");
}

}  // namespace
}  // namespace xchat::client
