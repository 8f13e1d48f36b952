#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"

namespace xchat::testing {
namespace {

using nlohmann::json;
using Args = std::vector<std::string>;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Daemon::admin appends the command's stderr to this file.
std::string admin_stderr_path(const Daemon& d) { return d.dir() + "/admin.err"; }

// Runs `xchatd admin ARGS`; returns the exit code, with stdout in `out` and this run's
// stderr in `err`.
int admin(const Daemon& d, const Args& args, std::string* out = nullptr,
          std::string* err = nullptr) {
  const std::size_t before = read_file(admin_stderr_path(d)).size();
  const int rc = d.admin(args, out);
  if (err != nullptr) *err = read_file(admin_stderr_path(d)).substr(before);
  return rc;
}

void register_or_fail(const Daemon& d, const TestUser& user) {
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  auto reply = register_user(*c, user);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
}

// Logs `user` in on a new connection; returns the login reply and keeps the connection in
// `connection` when given.
json login_fresh(const Daemon& d, const TestUser& user,
                 std::unique_ptr<WsClient>* connection = nullptr) {
  auto c = connect_or_fail(d);
  if (c == nullptr) return json();
  auto reply = login(*c, user);
  if (connection != nullptr) *connection = std::move(c);
  return reply;
}

// The tab-separated columns of one line of admin output; empty columns are kept.
std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> columns;
  std::size_t start = 0;
  for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
    columns.push_back(line.substr(start, tab - start));
  }
  columns.push_back(line.substr(start));
  return columns;
}

// `admin accounts list` as handle -> the row's tab-separated columns.
std::map<std::string, std::vector<std::string>> accounts(const Daemon& d) {
  std::string out;
  EXPECT_EQ(admin(d, {"accounts", "list"}, &out), 0);
  std::map<std::string, std::vector<std::string>> rows;
  std::istringstream lines(out);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    const auto columns = split_tabs(line);
    rows[columns[0]] = columns;
  }
  return rows;
}

TEST(AdminCli, AccountsListShowsHandlesAndSubscriptions) {
  Daemon d;
  register_or_fail(d, TestUser("@Alice"));
  register_or_fail(d, TestUser("@bob"));
  ASSERT_EQ(admin(d, {"subscription", "grant", "@BOB", "--until", "2099-12-31"}), 0);

  const auto rows = accounts(d);
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_TRUE(rows.count("@Alice"));
  ASSERT_TRUE(rows.count("@bob"));
  // handle, created, status, subscription, devices
  ASSERT_EQ(rows.at("@Alice").size(), 5u);
  EXPECT_EQ(rows.at("@Alice")[2], "active");
  EXPECT_EQ(rows.at("@Alice")[3], "none");
  EXPECT_EQ(rows.at("@Alice")[4], "1");
  EXPECT_EQ(rows.at("@bob")[3], "until 2099-12-31T23:59:59Z");
}

TEST(AdminCli, SuspendedAccountCannotLogIn) {
  Daemon d;
  TestUser alice("@alice");
  register_or_fail(d, alice);
  std::string out;
  ASSERT_EQ(admin(d, {"account", "suspend", "@Alice"}, &out), 0);
  EXPECT_NE(out.find("account.suspend @alice"), std::string::npos) << out;
  EXPECT_EQ(error_code(login_fresh(d, alice)), "account_suspended");
  EXPECT_EQ(accounts(d)["@alice"].at(2), "suspended");
}

TEST(AdminCli, SuspensionClosesALiveSession) {
  Daemon d;
  TestUser alice("@alice");
  register_or_fail(d, alice);
  std::unique_ptr<WsClient> c;
  ASSERT_TRUE(login_fresh(d, alice, &c).contains("result"));
  ASSERT_EQ(admin(d, {"account", "suspend", "@alice"}), 0);

  // The session notices at its first request after its account refresh (every 5 s).
  const json reply = poll_while(*c, {{"type", "account.info"}}, "");
  EXPECT_EQ(error_code(reply), "account_suspended") << reply.dump();
  EXPECT_EQ(c->wait_close(std::chrono::seconds(5)), 4403);
}

TEST(AdminCli, UnsuspendAllowsLoginAgain) {
  Daemon d;
  TestUser alice("@alice");
  register_or_fail(d, alice);
  ASSERT_EQ(admin(d, {"account", "suspend", "@alice"}), 0);
  ASSERT_EQ(error_code(login_fresh(d, alice)), "account_suspended");
  ASSERT_EQ(admin(d, {"account", "unsuspend", "@alice"}), 0);
  auto reply = login_fresh(d, alice);
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(accounts(d)["@alice"].at(2), "active");
}

TEST(AdminCli, DeletedAccountIsGoneAndItsHandleFree) {
  Daemon d;
  TestUser alice("@Alice");
  register_or_fail(d, alice);
  ASSERT_EQ(admin(d, {"account", "delete", "@alice"}), 0);
  EXPECT_EQ(error_code(login_fresh(d, alice)), "unknown_device");
  EXPECT_TRUE(accounts(d).empty());

  TestUser newcomer("@ALICE");
  register_or_fail(d, newcomer);
  auto reply = login_fresh(d, newcomer);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["handle"], "@ALICE");
  EXPECT_EQ(error_code(login_fresh(d, alice)), "bad_signature") << "old keys must not work";
}

TEST(AdminCli, UnknownHandleIsRefusedWithExitCodeOne) {
  Daemon d;
  const std::vector<Args> commands = {
      {"account", "suspend", "@nobody"},     {"account", "unsuspend", "@nobody"},
      {"account", "delete", "@nobody"},      {"subscription", "grant", "@nobody", "--days", "1"},
      {"subscription", "revoke", "@nobody"},
  };
  for (const auto& args : commands) {
    SCOPED_TRACE(args[0] + " " + args[1]);
    std::string err;
    EXPECT_EQ(admin(d, args, nullptr, &err), 1);
    EXPECT_NE(err.find("no account @nobody"), std::string::npos) << err;
  }
  std::string log;
  ASSERT_EQ(admin(d, {"log"}, &log), 0);
  EXPECT_EQ(log, "") << "refused actions are not audited as done";
}

TEST(AdminCli, BadUsageExitsWithTwo) {
  Daemon d;
  const std::vector<Args> usages = {
      {},
      {"frobnicate"},
      {"account", "suspend"},
      {"account", "frobnicate", "@alice"},
      {"subscription", "grant", "@alice"},
      {"subscription", "grant", "@alice", "--days", "1", "--until", "2099-01-01"},
      {"invite", "create", "--count", "0"},
      {"log", "--limit", "many"},
  };
  for (const auto& args : usages) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    SCOPED_TRACE(joined);
    std::string err;
    EXPECT_EQ(admin(d, args, nullptr, &err), 2);
    EXPECT_FALSE(err.empty());
  }
  EXPECT_TRUE(d.running());
}

TEST(AdminCli, LogListsActionsButNeverInviteCodes) {
  Daemon d;
  register_or_fail(d, TestUser("@alice"));
  std::string printed;
  std::string admin_err;
  ASSERT_EQ(admin(d, {"invite", "create", "--count", "2"}, &printed, &admin_err), 0);
  std::vector<std::string> codes;
  std::istringstream code_lines(printed);
  for (std::string code; std::getline(code_lines, code);) codes.push_back(code);
  ASSERT_EQ(codes.size(), 2u) << printed;
  for (const Args& args :
       {Args{"subscription", "grant", "@alice", "--days", "30"},
        Args{"subscription", "revoke", "@alice"}, Args{"account", "suspend", "@alice"},
        Args{"account", "unsuspend", "@alice"}, Args{"account", "delete", "@alice"}}) {
    std::string err;
    ASSERT_EQ(admin(d, args, nullptr, &err), 0) << err;
    admin_err += err;
  }

  std::string log;
  ASSERT_EQ(admin(d, {"log"}, &log), 0);
  std::vector<std::string> actions;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const auto columns = split_tabs(line);
    ASSERT_EQ(columns.size(), 4u) << line;  // at, action, target, detail
    actions.push_back(columns[1] + " " + columns[2]);
  }
  const std::vector<std::string> expected = {
      // newest first
      "account.delete @alice",      "account.unsuspend @alice",  "account.suspend @alice",
      "subscription.revoke @alice", "subscription.grant @alice", "invite.create -"};
  EXPECT_EQ(actions, expected) << log;

  std::string limited;
  ASSERT_EQ(admin(d, {"log", "--limit", "1"}, &limited), 0);
  ASSERT_EQ(limited.find('\n'), limited.size() - 1) << "one line: " << limited;
  EXPECT_EQ(split_tabs(limited.substr(0, limited.size() - 1)).at(1), "account.delete");

  const std::string daemon_log = d.log();
  for (const auto& code : codes) {
    SCOPED_TRACE(code);
    EXPECT_EQ(log.find(code), std::string::npos) << log;
    EXPECT_EQ(daemon_log.find(code), std::string::npos) << daemon_log;
    EXPECT_EQ(admin_err.find(code), std::string::npos) << admin_err;
  }
}

}  // namespace
}  // namespace xchat::testing
