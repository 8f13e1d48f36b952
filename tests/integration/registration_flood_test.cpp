// A registration flood from several addresses, pipelined: each address gets exactly
// limits.registrations_per_ip_per_hour accounts and rate_limited for the rest, its
// connection stays usable, and honest users elsewhere still register, log in and message.
#include <gtest/gtest.h>

#include <map>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/honest_client.hpp"
#include "integration/support/identity.hpp"

namespace xchat::testing {
namespace {

constexpr int kPerAddress = 10;
constexpr int kAddresses = 4;
constexpr int kAttemptsPerAddress = 100;

TEST(RegistrationFlood, EachAddressGetsItsBudgetAndHonestUsersStillRegister) {
  Daemon d(Overrides{{"limits.registrations_per_ip_per_hour", std::to_string(kPerAddress)}});
  HonestClient honest(d, {.reconnect_every = 3});  // two of 127.0.0.1's registrations
  ASSERT_TRUE(honest.started()) << honest.last_failure();

  std::vector<TestUser> registered;
  for (int a = 0; a < kAddresses; ++a) {
    const std::string address = std::string("127.0.0.") + std::to_string(2 + a);
    auto c = connect_or_fail(d, from_address(address));
    ASSERT_NE(c, nullptr);
    std::vector<TestUser> users;
    std::vector<nlohmann::json> requests;
    for (int i = 0; i < kAttemptsPerAddress; ++i) {
      users.emplace_back(std::string("@flood") + std::to_string(a) + "_" + std::to_string(i));
      requests.push_back(users.back().register_request());
    }
    const auto replies = request_all(*c, requests);
    std::map<std::string, int> codes;
    for (std::size_t i = 0; i < replies.size(); ++i) {
      const std::string code = error_code(replies[i]);
      ++codes[replies[i].contains("result") ? "result" : code.empty() ? "none" : code];
      if (replies[i].contains("result")) registered.push_back(users[i]);
    }
    EXPECT_EQ(codes, (std::map<std::string, int>{
                         {"result", kPerAddress}, {"rate_limited", kAttemptsPerAddress - kPerAddress}}))
        << address;
    EXPECT_TRUE(pings(*c)) << "the connection survives its refusals";
  }
  ASSERT_FALSE(registered.empty());
  auto flooder = log_in_on_new_connection(d, registered.back());
  EXPECT_NE(flooder, nullptr) << "accounts made within the budget are real accounts";

  TestUser newcomer("@Newcomer");
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  const auto reply = register_user(*c, newcomer);
  EXPECT_TRUE(reply.contains("result")) << "an honest address still registers: " << reply;
  EXPECT_TRUE(login(*c, newcomer).contains("result"));
  // With the budgets still spent, the honest pair reconnects and logs in again.
  EXPECT_TRUE(honest.wait_for_round_trips(4, 20s)) << honest.last_failure();
  expect_served(honest, 4);
}

}  // namespace
}  // namespace xchat::testing
