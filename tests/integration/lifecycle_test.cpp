// The process as an operator sees it: signals, restarts, SIGHUP reloads, startup
// validation, the command line, and the systemd notifications.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "integration/support/daemon.hpp"
#include "integration/support/data_files.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"
#include "support/temp_dir.hpp"
#include "xchat/version.hpp"

namespace xchat::testing {
namespace {

using Clients = std::vector<std::unique_ptr<WsClient>>;

// Where the log ends now; lines written later are found with logged_since().
std::size_t log_mark(const Daemon& d) { return d.log().size(); }

bool logged_since(const Daemon& d, std::size_t mark, std::string_view text) {
  return d.log().find(text, mark) != std::string::npos;
}

bool wait_logged(const Daemon& d, std::size_t mark, std::string_view text) {
  return eventually([&] { return logged_since(d, mark, text); });
}

std::size_t count(const std::vector<std::string>& notifications, std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(notifications.begin(), notifications.end(),
                    [&](const std::string& n) { return n.find(text) != std::string::npos; }));
}

// Sends SIGHUP and waits until the daemon has answered it over the notify socket (READY=1
// after RELOADING=1), whether it accepted the new file or not.
void reload(Daemon& d) {
  const std::size_t before = count(d.notifications(), "READY=1");
  d.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return count(d.notifications(), "READY=1") > before; }))
      << "no notification after SIGHUP\n"
      << d.log();
}

struct Shutdown {
  int exit_status = -1;
  std::chrono::milliseconds took{};
  std::vector<std::optional<int>> close_codes;
};

// Sends `signo`, collects every client's close code, and waits for the exit.
Shutdown shut_down(Daemon& d, int signo, Clients& clients) {
  Shutdown s;
  const auto start = std::chrono::steady_clock::now();
  d.signal(signo);
  for (auto& c : clients) s.close_codes.push_back(c->wait_close(5s));
  // Signal 0 sends nothing: this only waits for the exit `signo` started. Sending the
  // signal again could land after the daemon restored the default handlers.
  s.exit_status = d.stop(0, 6s);
  s.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  return s;
}

// Runs the xchatd binary with `args`; coreutils' timeout bounds it should it not exit by
// itself (it then returns 124).
int run_xchatd(const std::vector<std::string>& args, std::string* output) {
  std::vector<std::string> argv = {"/usr/bin/timeout", "10", xchatd_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, output);
}

TEST(Lifecycle, SigtermClosesEverySessionWith1001AndExitsZeroInTime) {
  Daemon d;
  Clients clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connect_or_fail(d));
    ASSERT_NE(clients.back(), nullptr);
  }
  TestUser alice("@Alice");
  ASSERT_TRUE(register_user(*clients[0], alice).contains("result"));
  ASSERT_TRUE(login(*clients[0], alice).contains("result"));

  const Shutdown s = shut_down(d, SIGTERM, clients);
  for (std::size_t i = 0; i < clients.size(); ++i) {
    EXPECT_EQ(s.close_codes[i], 1001) << "client " << i;
  }
  EXPECT_EQ(s.exit_status, 0) << d.log();
  EXPECT_LT(s.took, 5s);

  const auto notes = d.notifications();
  const auto ready = std::find_if(notes.begin(), notes.end(),
                                  [](const std::string& n) { return n.find("READY=1") == 0; });
  const auto stopping = std::find_if(notes.begin(), notes.end(), [](const std::string& n) {
    return n.find("STOPPING=1") != std::string::npos;
  });
  ASSERT_NE(ready, notes.end());
  ASSERT_NE(stopping, notes.end());
  EXPECT_LT(ready, stopping);
}

TEST(Lifecycle, SigintShutsDownLikeSigterm) {
  Daemon d;
  Clients clients;
  // Signalled right after the upgrade: the server may still be completing its accept.
  clients.push_back(connect_or_fail(d));
  ASSERT_NE(clients.back(), nullptr);
  const Shutdown s = shut_down(d, SIGINT, clients);
  EXPECT_EQ(s.close_codes[0], 1001);
  EXPECT_EQ(s.exit_status, 0) << d.log();
  EXPECT_LT(s.took, 5s);
  EXPECT_EQ(count(d.notifications(), "STOPPING=1"), 1u);
}

// A client that never answers the close handshake cannot hold the shutdown past 5 s.
TEST(Lifecycle, SigtermDoesNotWaitForUnresponsiveClients) {
  Daemon d;
  auto silent = connect_or_fail(d);
  ASSERT_NE(silent, nullptr);
  ASSERT_TRUE(pings(*silent));
  Clients none;
  const Shutdown s = shut_down(d, SIGTERM, none);
  EXPECT_EQ(s.exit_status, 0) << d.log();
  EXPECT_LT(s.took, 5s);
}

// Registers `n` users over one connection; each reply means its transaction committed.
std::vector<TestUser> register_users(const Daemon& d, int n) {
  auto client = connect_or_fail(d);
  if (client == nullptr) return {};
  std::vector<TestUser> users;
  for (int i = 0; i < n; ++i) {
    users.emplace_back("@User" + std::to_string(i));
    EXPECT_TRUE(register_user(*client, users.back()).contains("result"));
  }
  return users;
}

void expect_all_log_in(const Daemon& d, const std::vector<TestUser>& users) {
  for (const auto& u : users) {
    auto client = connect_or_fail(d);
    ASSERT_NE(client, nullptr);
    EXPECT_TRUE(login(*client, u).contains("result")) << u.handle << " lost";
  }
}

TEST(Lifecycle, RestartAfterSigtermKeepsEveryAccount) {
  Daemon d;
  const auto users = register_users(d, 5);
  ASSERT_EQ(d.stop(SIGTERM, 6s), 0);
  d.start();
  expect_all_log_in(d, users);
}

TEST(Lifecycle, KillNineKeepsEveryAcknowledgedAccount) {
  Daemon d;
  const auto users = register_users(d, 20);
  ASSERT_EQ(d.stop(SIGKILL), 128 + SIGKILL);
  d.start();
  expect_all_log_in(d, users);
}

// After a clean shutdown the database is checked while the server already serves (a
// cold check of a large file takes seconds); a damaged one still stops the server.
TEST(Lifecycle, ADatabaseDamagedAfterACleanShutdownStopsTheServerSoonAfterStart) {
  Daemon d;
  ASSERT_EQ(sql_execute(d,
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                        "WHERE i < 800) INSERT INTO admin_log (at, action, target, detail) "
                        "SELECT i, 'test', 'target', printf('%.200c', 'x') FROM n"),
            800);
  ASSERT_EQ(d.stop(SIGTERM), 0);
  const std::string path = d.data_dir() + "/xchatd.db";
  ASSERT_FALSE(std::filesystem::exists(path + "-wal")) << "not a clean shutdown";
  {
    // The schema is in the first pages; the rows fill the rest. Overwrite the second half.
    const auto size = std::filesystem::file_size(path);
    ASSERT_GT(size, 32 * 4096u);
    const std::uintmax_t from = size / 2 / 4096 * 4096;
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(from));
    for (std::uintmax_t i = from; i < size; ++i) f.put(static_cast<char>((i * 37 + 11) & 0xff));
  }
  d.start();
  EXPECT_EQ(d.wait_exit(10s), 1) << d.log();
  EXPECT_NE(d.log().find("PRAGMA quick_check failed"), std::string::npos) << d.log();
}

TEST(Lifecycle, SighupAppliesAccessPolicyWithoutDroppingConnections) {
  Daemon d;
  auto alice_client = register_and_log_in(d, TestUser("@Alice"));
  ASSERT_NE(alice_client, nullptr);

  const std::size_t mark = log_mark(d);
  d.rewrite_config({{"access.registration", "\"closed\""}});
  reload(d);
  EXPECT_TRUE(logged_since(d, mark, "configuration reloaded")) << d.log();

  EXPECT_TRUE(pings(*alice_client)) << "reload dropped a logged-in connection";
  EXPECT_TRUE(alice_client->request({{"type", "account.info"}}).contains("result"));
  auto newcomer = connect_or_fail(d);
  ASSERT_NE(newcomer, nullptr);
  const auto reply = register_user(*newcomer, TestUser("@Bob"));
  EXPECT_EQ(reply["error"]["code"], "registration_closed") << reply;
}

TEST(Lifecycle, SighupChangesTheLogLevel) {
  Daemon d;
  // A request header over the server's limit is logged at debug level, and the server
  // closes the connection only after logging it.
  ConnectOptions oversized_header;
  oversized_header.headers["X-Padding"] = std::string(16 * 1024, 'p');
  const std::string debug_line = "debug: HTTP read from";
  auto refused_upgrade = [&] {
    const std::size_t mark = log_mark(d);
    EXPECT_EQ(WsClient::connect(d.port(), oversized_header), nullptr);
    return mark;
  };
  ASSERT_TRUE(wait_logged(d, refused_upgrade(), debug_line))
      << "no debug line at log.level = debug:\n"
      << d.log();

  d.rewrite_config({{"log.level", "\"warn\""}});
  reload(d);
  EXPECT_FALSE(logged_since(d, refused_upgrade(), debug_line))
      << "debug lines still written after reload to warn";
  auto client = connect_or_fail(d);
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(pings(*client));
}

TEST(Lifecycle, BadConfigOnSighupIsRejectedAndTheOldOneStays) {
  Daemon d;
  auto alice_client = register_and_log_in(d, TestUser("@Alice"));
  ASSERT_NE(alice_client, nullptr);

  // The bad value comes with a policy change that must not take effect either.
  std::size_t mark = log_mark(d);
  d.rewrite_config({{"access.registration", "\"closed\""}, {"listen.port", "70000"}});
  reload(d);
  EXPECT_TRUE(logged_since(d, mark, "reload rejected")) << d.log();
  EXPECT_TRUE(logged_since(d, mark, "listen.port = 70000")) << d.log();
  EXPECT_FALSE(logged_since(d, mark, "configuration reloaded")) << d.log();
  ASSERT_TRUE(d.running());
  EXPECT_TRUE(pings(*alice_client));
  auto bob_client = connect_or_fail(d);
  ASSERT_NE(bob_client, nullptr);
  EXPECT_TRUE(register_user(*bob_client, TestUser("@Bob")).contains("result"))
      << "registration must still be open";

  mark = log_mark(d);
  d.rewrite_config({}, "[access\nregistration = = \"closed\"\n");
  reload(d);
  EXPECT_TRUE(logged_since(d, mark, "reload rejected")) << d.log();
  EXPECT_TRUE(logged_since(d, mark, "xchatd.toml:")) << "the message names the file\n" << d.log();
  ASSERT_TRUE(d.running());
  EXPECT_TRUE(pings(*alice_client));
  EXPECT_TRUE(register_user(*bob_client, TestUser("@Carol")).contains("result"));
}

TEST(Lifecycle, SighupWarnsThatRestartOnlyKeysNeedARestart) {
  Daemon d;
  const std::size_t mark = log_mark(d);
  d.rewrite_config({{"listen.port", "1"}, {"limits.max_frame_bytes", "4096"}});
  reload(d);
  EXPECT_TRUE(logged_since(d, mark, "changes to [listen] take effect after a restart")) << d.log();
  EXPECT_TRUE(logged_since(d, mark, "configuration reloaded")) << d.log();
  // Still serving on the old port, with the reloadable limit in force.
  auto client = connect_or_fail(d);
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(pings(*client));
  EXPECT_TRUE(client->send_text(std::string(5000, ' ')));
  EXPECT_EQ(client->wait_close(5s), 1009);
}

TEST(Lifecycle, BadConfigAtStartupExitsTwoNamingFileKeyAndAllowedValues) {
  TempDir dir("xchatd-lifecycle");
  struct Case {
    Overrides overrides;
    std::vector<std::string> mentions;
  };
  const std::vector<Case> cases = {
      {{{"limits.bogus_key", "1"}}, {"limits.bogus_key", "unknown setting"}},
      {{{"listen.port", "70000"}}, {"listen.port = 70000", "0..65535"}},
      {{{"access.registration", "\"sometimes\""}},
       {"access.registration", "open", "invite", "closed"}},
      {{{"log.level", "\"loud\""}}, {"log.level", "debug", "warn"}},
      {{{"storage.synchronous", "\"OFF\""}}, {"storage.synchronous", "FULL", "NORMAL"}},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Overrides o = cases[i].overrides;
    // Should validation wrongly pass, the store cannot open here either (exit 1).
    o.emplace("server.data_dir", "\"/dev/null/data\"");
    const std::string path = dir.write("bad" + std::to_string(i) + ".toml", Daemon::config_text(o));
    SCOPED_TRACE(Daemon::config_text(o));
    std::string output;
    EXPECT_EQ(run_xchatd({"--config", path}, &output), 2);
    EXPECT_NE(output.find(path), std::string::npos) << output;
    for (const auto& m : cases[i].mentions) EXPECT_NE(output.find(m), std::string::npos) << output;
  }
}

TEST(Lifecycle, CheckConfigValidatesWithoutStarting) {
  TempDir dir("xchatd-lifecycle");
  std::string output;
  EXPECT_EQ(
      run_xchatd({"--check-config", "--config", XCHAT_SOURCE_DIR "/config/xchatd.toml"}, &output),
      0)
      << output;
  const std::string bad = dir.write("bad.toml", "[listen]\nport = -1\n");
  EXPECT_EQ(run_xchatd({"--check-config", "--config", bad}, &output), 2);
  EXPECT_NE(output.find("listen.port"), std::string::npos) << output;
  EXPECT_EQ(run_xchatd({"--check-config", "--config", bad + ".missing"}, &output), 2);
}

TEST(Lifecycle, VersionFlagPrintsTheVersion) {
  std::string output;
  EXPECT_EQ(run_xchatd({"--version"}, &output), 0);
  EXPECT_NE(output.find("xchatd " + std::string(kVersion)), std::string::npos) << output;
}

TEST(Lifecycle, WatchdogPingsWhenSystemdAsksForThem) {
  // The daemon inherits the environment at start: WATCHDOG_USEC as systemd sets it for a
  // unit with WatchdogSec (0.2 s, so keep-alives come every 0.1 s).
  ::setenv("WATCHDOG_USEC", "200000", 1);
  std::optional<Daemon> d;
  try {
    d.emplace();
  } catch (...) {
    ::unsetenv("WATCHDOG_USEC");
    throw;
  }
  ::unsetenv("WATCHDOG_USEC");
  EXPECT_TRUE(eventually([&] { return count(d->notifications(), "WATCHDOG=1") >= 2; }, 3s))
      << "no WATCHDOG=1 keep-alives";
}

}  // namespace
}  // namespace xchat::testing
