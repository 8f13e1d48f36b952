#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"
#include "xchat/base64.hpp"

namespace xchat::testing {
namespace {

using nlohmann::json;

const Overrides kInviteOnly = {{"access.registration", "\"invite\""}};
const Overrides kSubscribersOnly = {{"access.require_subscription", "true"}};

// Registers `user` on a throw-away connection; returns the reply.
json register_once(const Daemon& d, const TestUser& user,
                   std::optional<std::string> invite = std::nullopt) {
  auto c = connect_or_fail(d);
  return c == nullptr ? json() : register_user(*c, user, std::move(invite));
}

json lookup(WsClient& c, const std::string& handle) {
  return c.request({{"type", "user.lookup"}, {"handle", handle}});
}

// Seconds since the epoch, as the daemon stores times.
std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `xchatd admin invite create`; the printed codes, one a line.
std::vector<std::string> create_invites(const Daemon& d, int count) {
  std::string out;
  EXPECT_EQ(d.admin({"invite", "create", "--count", std::to_string(count)}, &out), 0);
  std::vector<std::string> codes;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) codes.push_back(line);
  }
  EXPECT_EQ(codes.size(), static_cast<std::size_t>(count)) << out;
  return codes;
}

// Moves an invite's expiry into the past behind the running daemon's back. The admin CLI
// only makes codes that expire in whole days; WAL lets a second writer do this safely.
void expire_invite(const Daemon& d, const std::string& code) {
  sqlite3* db = nullptr;
  const std::string path = d.data_dir() + "/xchatd.db";
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK) << path;
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE invites SET expires_at = ?1 WHERE code = ?2", -1, &stmt,
                               nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_bind_int64(stmt, 1, unix_now() - 60);
  sqlite3_bind_text(stmt, 2, code.c_str(), -1, SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(AccessPolicy, ClosedRegistrationIsRefused) {
  Daemon d(Overrides{{"access.registration", "\"closed\""}});
  TestUser alice("@alice");
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  auto reply = register_user(*c, alice);
  EXPECT_EQ(error_code(reply), "registration_closed") << reply.dump();
  EXPECT_EQ(error_code(login(*c, alice)), "unknown_device");
}

TEST(AccessPolicy, InviteOnlyRegistrationNeedsACode) {
  Daemon d(kInviteOnly);
  auto reply = register_once(d, TestUser("@alice"));
  EXPECT_EQ(error_code(reply), "invite_required") << reply.dump();
}

TEST(AccessPolicy, InviteCodeAdmitsOneAccount) {
  Daemon d(kInviteOnly);
  const auto codes = create_invites(d, 2);
  ASSERT_EQ(codes.size(), 2u);
  auto reply = register_once(d, TestUser("@Alice"), codes[0]);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["handle"], "@Alice");

  reply = register_once(d, TestUser("@bob"), codes[0]);
  EXPECT_EQ(error_code(reply), "invite_invalid") << reply.dump();
  reply = register_once(d, TestUser("@bob"), codes[1]);
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
}

TEST(AccessPolicy, MadeUpInviteIsInvalidAndKeepsTheHandleFree) {
  Daemon d(kInviteOnly);
  TestUser alice("@alice");
  auto reply = register_once(d, alice, "ABCDE-FGHJK-MNPQR-STVWX");
  EXPECT_EQ(error_code(reply), "invite_invalid") << reply.dump();
  const auto codes = create_invites(d, 1);
  ASSERT_EQ(codes.size(), 1u);
  reply = register_once(d, alice, codes[0]);
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
}

TEST(AccessPolicy, RefusedRegistrationDoesNotSpendTheInvite) {
  Daemon d(kInviteOnly);
  const auto codes = create_invites(d, 2);
  ASSERT_EQ(codes.size(), 2u);
  ASSERT_TRUE(register_once(d, TestUser("@alice"), codes[0]).contains("result"));
  EXPECT_EQ(error_code(register_once(d, TestUser("@ALICE"), codes[1])), "handle_taken");
  auto reply = register_once(d, TestUser("@bob"), codes[1]);
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
}

TEST(AccessPolicy, ExpiredInviteIsInvalid) {
  Daemon d(kInviteOnly);
  std::string out;
  ASSERT_EQ(d.admin({"invite", "create", "--expires-days", "1"}, &out), 0);
  const std::string code = out.substr(0, out.find('\n'));
  auto unexpired = create_invites(d, 1);
  ASSERT_EQ(unexpired.size(), 1u);
  expire_invite(d, code);

  auto reply = register_once(d, TestUser("@alice"), code);
  EXPECT_EQ(error_code(reply), "invite_invalid") << reply.dump();
  reply = register_once(d, TestUser("@alice"), unexpired[0]);
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
}

TEST(AccessPolicy, LookupNeedsASubscriptionWhenRequired) {
  Daemon d(kSubscribersOnly);
  TestUser alice("@alice");
  ASSERT_TRUE(register_once(d, alice).contains("result"));
  json login_reply;
  auto c = log_in_on_new_connection(d, alice, &login_reply);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(login_reply["result"]["subscription"],
            json({{"required", true}, {"active", false}, {"until", nullptr}}));
  EXPECT_EQ(error_code(lookup(*c, "@alice")), "subscription_required");
  // Managing one's own account is not a chat feature and stays available.
  EXPECT_TRUE(c->request({{"type", "account.info"}}).contains("result"));
  EXPECT_TRUE(c->request({{"type", "device.list"}}).contains("result"));
}

TEST(AccessPolicy, GrantedSubscriptionAppliesAtTheNextLogin) {
  Daemon d(kSubscribersOnly);
  TestUser alice("@alice");
  ASSERT_TRUE(register_once(d, alice).contains("result"));
  ASSERT_EQ(d.admin({"subscription", "grant", "@Alice", "--days", "30"}), 0);

  json login_reply;
  auto c = log_in_on_new_connection(d, alice, &login_reply);
  ASSERT_NE(c, nullptr);
  const auto& subscription = login_reply["result"]["subscription"];
  EXPECT_EQ(subscription["required"], true);
  EXPECT_EQ(subscription["active"], true);
  ASSERT_TRUE(subscription["until"].is_number_integer()) << subscription.dump();
  EXPECT_NEAR(subscription["until"].get<double>(), static_cast<double>(unix_now() + 30 * 86400),
              120);
  auto reply = lookup(*c, "@alice");
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["exists"], true);
}

TEST(AccessPolicy, GrantedSubscriptionReachesALiveSession) {
  Daemon d(kSubscribersOnly);
  TestUser alice("@alice");
  ASSERT_TRUE(register_once(d, alice).contains("result"));
  auto c = log_in_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(error_code(lookup(*c, "@alice")), "subscription_required");
  ASSERT_EQ(d.admin({"subscription", "grant", "@alice", "--days", "30"}), 0);
  auto reply =
      poll_while(*c, {{"type", "user.lookup"}, {"handle", "@alice"}}, "subscription_required");
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["exists"], true);
}

TEST(AccessPolicy, RevokedSubscriptionIsRequiredAgain) {
  Daemon d(kSubscribersOnly);
  TestUser alice("@alice");
  ASSERT_TRUE(register_once(d, alice).contains("result"));
  ASSERT_EQ(d.admin({"subscription", "grant", "@alice", "--days", "30"}), 0);
  {
    auto c = log_in_on_new_connection(d, alice);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(lookup(*c, "@alice").contains("result"));
  }
  ASSERT_EQ(d.admin({"subscription", "revoke", "@alice"}), 0);
  json login_reply;
  auto c = log_in_on_new_connection(d, alice, &login_reply);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(login_reply["result"]["subscription"]["active"], false);
  EXPECT_EQ(error_code(lookup(*c, "@alice")), "subscription_required");
}

TEST(AccessPolicy, LookupWithoutSubscriptionRequirement) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@Bob");
  ASSERT_TRUE(register_once(d, alice).contains("result"));
  ASSERT_TRUE(register_once(d, bob).contains("result"));
  auto c = log_in_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);

  auto reply = lookup(*c, "@BOB");
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"], json({{"exists", true},
                                   {"handle", "@Bob"},
                                   {"identity_key", base64_encode(bob.identity.public_key)}}));
  reply = lookup(*c, "@nobody");
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"], json({{"exists", false}}));
  EXPECT_EQ(error_code(lookup(*c, "bob")), "invalid_handle");
  EXPECT_EQ(error_code(lookup(*c, "@abcdefghijklmnop")), "invalid_handle");
}

TEST(AccessPolicy, LookupsAreRateLimitedPerAccount) {
  Daemon d(Overrides{{"limits.lookups_per_account_per_minute", "2"}});
  TestUser alice("@alice");
  TestUser bob("@bob");
  ASSERT_TRUE(register_once(d, alice).contains("result"));
  ASSERT_TRUE(register_once(d, bob).contains("result"));
  auto c = log_in_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(lookup(*c, "@bob").contains("result"));
  EXPECT_TRUE(lookup(*c, "@carol").contains("result"));
  auto reply = lookup(*c, "@bob");
  EXPECT_EQ(error_code(reply), "rate_limited") << reply.dump();
  EXPECT_TRUE(c->request({{"type", "ping"}}).contains("result"));

  // The budget follows the account across connections, and other accounts keep theirs.
  c.reset();
  auto again = log_in_on_new_connection(d, alice);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(error_code(lookup(*again, "@bob")), "rate_limited");
  auto other = log_in_on_new_connection(d, bob);
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(lookup(*other, "@alice").contains("result"));
}

}  // namespace
}  // namespace xchat::testing
