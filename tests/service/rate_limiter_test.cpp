#include "service/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace xchat {
namespace {

using namespace std::chrono_literals;

constexpr RateLimiter::Rate kThreePerMinute{3, 60s};

class RateLimiterTest : public ::testing::Test {
 protected:
  // How many tokens `key` yields right now (taking them all).
  int drain(RateLimiter& limiter, const std::string& key, RateLimiter::Rate rate) {
    int n = 0;
    while (n < 1000 && limiter.try_acquire(key, rate)) ++n;
    return n;
  }

  ManualClock clock_{std::chrono::system_clock::time_point(1'700'000'000s)};
};

TEST_F(RateLimiterTest, BurstThenRefusal) {
  RateLimiter limiter(clock_);
  EXPECT_TRUE(limiter.try_acquire("10.0.0.1", kThreePerMinute));
  EXPECT_TRUE(limiter.try_acquire("10.0.0.1", kThreePerMinute));
  EXPECT_TRUE(limiter.try_acquire("10.0.0.1", kThreePerMinute));
  EXPECT_FALSE(limiter.try_acquire("10.0.0.1", kThreePerMinute));
  EXPECT_FALSE(limiter.try_acquire("10.0.0.1", kThreePerMinute));
}

TEST_F(RateLimiterTest, RefillsEvenlyOverThePeriod) {
  RateLimiter limiter(clock_);
  ASSERT_EQ(drain(limiter, "k", kThreePerMinute), 3);
  clock_.advance(19s);  // one token takes 20 s
  EXPECT_FALSE(limiter.try_acquire("k", kThreePerMinute));
  clock_.advance(1s);
  EXPECT_TRUE(limiter.try_acquire("k", kThreePerMinute));
  EXPECT_FALSE(limiter.try_acquire("k", kThreePerMinute));
  clock_.advance(40s);
  EXPECT_EQ(drain(limiter, "k", kThreePerMinute), 2);
  // However long it waits, a bucket never holds more than its burst.
  clock_.advance(24h);
  EXPECT_EQ(drain(limiter, "k", kThreePerMinute), 3);
}

TEST_F(RateLimiterTest, RefusedAttemptsCostNothing) {
  RateLimiter limiter(clock_);
  ASSERT_EQ(drain(limiter, "k", kThreePerMinute), 3);
  clock_.advance(10s);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.try_acquire("k", kThreePerMinute));
  clock_.advance(10s);  // 20 s since the bucket emptied: one token, despite the attempts
  EXPECT_TRUE(limiter.try_acquire("k", kThreePerMinute));
}

TEST_F(RateLimiterTest, AllowedDoesNotConsume) {
  RateLimiter limiter(clock_);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.allowed("k", kThreePerMinute));
  EXPECT_EQ(drain(limiter, "k", kThreePerMinute), 3);
  EXPECT_FALSE(limiter.allowed("k", kThreePerMinute));
  clock_.advance(20s);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.allowed("k", kThreePerMinute));
  EXPECT_EQ(drain(limiter, "k", kThreePerMinute), 1);
  EXPECT_FALSE(limiter.allowed("k", kThreePerMinute));
}

TEST_F(RateLimiterTest, KeysAreIndependent) {
  RateLimiter limiter(clock_);
  ASSERT_EQ(drain(limiter, "10.0.0.1", kThreePerMinute), 3);
  EXPECT_TRUE(limiter.allowed("10.0.0.2", kThreePerMinute));
  EXPECT_EQ(drain(limiter, "10.0.0.2", kThreePerMinute), 3);
  EXPECT_FALSE(limiter.try_acquire("10.0.0.1", kThreePerMinute));
  EXPECT_EQ(limiter.size(), 2u);
}

TEST_F(RateLimiterTest, FullBucketsArePrunedToMakeRoom) {
  RateLimiter limiter(clock_, /*max_keys=*/2);
  ASSERT_TRUE(limiter.try_acquire("a", kThreePerMinute));
  clock_.advance(60s);  // "a" has refilled completely and carries no information
  ASSERT_TRUE(limiter.try_acquire("b", kThreePerMinute));
  ASSERT_EQ(limiter.size(), 2u);

  EXPECT_TRUE(limiter.allowed("c", kThreePerMinute));
  EXPECT_TRUE(limiter.try_acquire("c", kThreePerMinute));
  EXPECT_EQ(limiter.size(), 2u);
  // "b" kept its state: two tokens left, not a fresh burst.
  EXPECT_EQ(drain(limiter, "b", kThreePerMinute), 2);
}

TEST_F(RateLimiterTest, NewKeysAreRefusedWhenEveryBucketIsInUse) {
  RateLimiter limiter(clock_, /*max_keys=*/2);
  ASSERT_TRUE(limiter.try_acquire("a", kThreePerMinute));
  ASSERT_TRUE(limiter.try_acquire("b", kThreePerMinute));

  EXPECT_FALSE(limiter.allowed("c", kThreePerMinute));
  EXPECT_FALSE(limiter.try_acquire("c", kThreePerMinute));
  EXPECT_EQ(limiter.size(), 2u);
  // Known keys keep working.
  EXPECT_TRUE(limiter.try_acquire("a", kThreePerMinute));

  clock_.advance(60s);  // both refill; the next new key evicts them
  EXPECT_TRUE(limiter.allowed("c", kThreePerMinute));
  EXPECT_TRUE(limiter.try_acquire("c", kThreePerMinute));
  EXPECT_LE(limiter.size(), 2u);
}

TEST_F(RateLimiterTest, MemoryStaysBoundedUnderASprayOfKeys) {
  RateLimiter limiter(clock_, /*max_keys=*/16);
  for (int i = 0; i < 10'000; ++i) {
    limiter.try_acquire("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                        kThreePerMinute);
    if (i % 100 == 0) clock_.advance(30s);
  }
  EXPECT_LE(limiter.size(), 16u);
}

}  // namespace
}  // namespace xchat
