// Login brute force from many addresses at one account: each address gets
// limits.login_failures_per_ip_per_minute failures and is then refused with rate_limited,
// while logins from elsewhere, the attacked account's own included, still succeed. (Each
// failure is a wrong Ed25519 signature, so no budget makes guessing feasible; the limit
// bounds the work an address can make the server do, and locks no account out.)
#include <gtest/gtest.h>

#include <map>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/honest_client.hpp"
#include "integration/support/identity.hpp"

namespace xchat::testing {
namespace {

constexpr int kFailuresPerAddress = 5;
constexpr int kAddresses = 8;
constexpr int kAttemptsPerAddress = 20;

TEST(BruteForce, WrongLoginsAreLimitedPerAddressAndHonestLoginsStillSucceed) {
  Daemon d(Overrides{
      {"limits.login_failures_per_ip_per_minute", std::to_string(kFailuresPerAddress)}});
  HonestClient honest(d, {.reconnect_every = 3});
  ASSERT_TRUE(honest.started()) << honest.last_failure();
  TestUser victim("@Victim");
  ASSERT_TRUE(register_offline(d, victim));
  // The attacker has the handle and device id, not the key.
  TestUser attacker = victim;
  attacker.device = KeyPair::generate();

  for (int a = 0; a < kAddresses; ++a) {
    const std::string address = std::string("127.0.0.") + std::to_string(2 + a);
    auto c = connect_or_fail(d, from_address(address));
    ASSERT_NE(c, nullptr);
    std::map<std::string, int> codes;
    for (int i = 0; i < kAttemptsPerAddress; ++i) ++codes[error_code(login(*c, attacker))];
    EXPECT_EQ(codes, (std::map<std::string, int>{
                         {"bad_signature", kFailuresPerAddress},
                         {"rate_limited", kAttemptsPerAddress - kFailuresPerAddress}}))
        << address;
    // Spent means spent: the right key is refused too from that address, for now.
    EXPECT_EQ(error_code(login(*c, victim)), "rate_limited") << address;
    EXPECT_TRUE(pings(*c)) << "the connection survives its refusals";
  }

  auto own = connect_or_fail(d);
  ASSERT_NE(own, nullptr);
  const auto reply = login(*own, victim);
  EXPECT_TRUE(reply.contains("result")) << "the attacked account is not locked out: " << reply;
  // With the budgets still spent, the honest pair reconnects and logs in again.
  EXPECT_TRUE(honest.wait_for_round_trips(4, 20s)) << honest.last_failure();
  expect_served(honest, 4);
  EXPECT_GE(honest.reconnects(), 1) << "honest logins during the attack";
}

}  // namespace
}  // namespace xchat::testing
