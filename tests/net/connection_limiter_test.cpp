#include "net/connection_limiter.hpp"

#include <gtest/gtest.h>

#include "metrics/metrics.hpp"

namespace xchat {
namespace {

using net::ConnectionLimiter;

TEST(ConnectionLimiter, TotalLimitAdmitsUpToItAndATicketGivesItsSlotBack) {
  Metrics metrics;
  ConnectionLimiter limiter(metrics);
  auto first = limiter.admit(2);
  auto second = limiter.admit(2);
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(limiter.admit(2));
  EXPECT_EQ(metrics.connections_open, 2);
  EXPECT_EQ(metrics.connections_rejected, 1u);
  first.reset();
  EXPECT_TRUE(limiter.admit(2));
}

// The connections of an address still in HTTP and its upgraded ones are two budgets: a
// client that upgrades gives its HTTP slot back, and slowloris requests cannot starve
// its (or anyone's) WebSockets.
TEST(ConnectionLimiter, HttpAndUpgradedConnectionsOfAnAddressAreCountedApart) {
  Metrics metrics;
  ConnectionLimiter limiter(metrics);
  auto http = limiter.admit_http("192.0.2.1", 1);
  ASSERT_TRUE(http);
  EXPECT_FALSE(limiter.admit_http("192.0.2.1", 1));
  EXPECT_TRUE(limiter.admit_http("192.0.2.2", 1)) << "another address has its own budget";
  auto upgraded = limiter.admit_ip("192.0.2.1", 1);
  ASSERT_TRUE(upgraded);
  EXPECT_FALSE(limiter.admit_ip("192.0.2.1", 1));
  http.reset();
  EXPECT_TRUE(limiter.admit_http("192.0.2.1", 1));
  EXPECT_FALSE(limiter.admit_ip("192.0.2.1", 1));
}

TEST(ConnectionLimiter, AMovedTicketIsReleasedOnce) {
  Metrics metrics;
  ConnectionLimiter limiter(metrics);
  auto ticket = limiter.admit_http("192.0.2.1", 1);
  ASSERT_TRUE(ticket);
  ConnectionLimiter::Ticket moved = std::move(*ticket);
  ticket.reset();
  EXPECT_FALSE(limiter.admit_http("192.0.2.1", 1)) << "the moved-from ticket released nothing";
  moved = ConnectionLimiter::Ticket();
  EXPECT_TRUE(limiter.admit_http("192.0.2.1", 1));
}

}  // namespace
}  // namespace xchat
