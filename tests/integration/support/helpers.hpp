#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "integration/support/daemon.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"

namespace xchat::testing {

// Steps that many integration tests share. The ones that set something up expect it to
// work: when it does not, they record a non-fatal gtest failure saying why and return
// null, and the caller follows them with ASSERT_NE(c, nullptr). That one idiom serves test
// bodies, fixtures and helper functions alike, so there is no throwing variant.

// The "code" of an error reply; "" for a result, and for no reply at all (null on timeout).
std::string error_code(const nlohmann::json& reply);

// Connects to `daemon`; when that fails, records a failure with the reason and returns
// null. Tests that expect a refusal call WsClient::connect instead and check its result.
std::unique_ptr<WsClient> connect_or_fail(const Daemon& daemon, const ConnectOptions& options = {});

// Options that bind the client to `local_address` (a loopback address such as
// "127.0.0.2"): the daemon sees another client address, with budgets of its own.
ConnectOptions from_address(const std::string& local_address);

// A new connection on which `user` has logged in; `login_reply`, when given, receives the
// login reply. Null, with the failure recorded, when connecting or logging in fails.
std::unique_ptr<WsClient> log_in_on_new_connection(const Daemon& daemon, const TestUser& user,
                                                   nlohmann::json* login_reply = nullptr);

// Registers `user` and logs it in on a new connection, which it returns; null, with the
// failure recorded, when a step fails.
std::unique_ptr<WsClient> register_and_log_in(const Daemon& daemon, const TestUser& user);

// Registers `user` on a connection of its own, which it closes: the account exists but no
// device is online. Returns whether it worked, recording a failure when not.
bool register_offline(const Daemon& daemon, const TestUser& user);

// Adds device `id`, with a fresh key vouched for by `user`'s identity key, through `client`
// (logged in as one of `user`'s devices), and returns `user` acting as that device; nullopt,
// with the failure recorded, when the server refuses.
std::optional<TestUser> add_device(WsClient& client, const TestUser& user, std::uint32_t id);

// Logs `user` (one device of an account) in on a connection of its own and publishes a
// fresh set of keys for that device (identity DH key, signed prekey, one one-time prekey):
// the device then has to be addressed by every send to its account. Returns whether it
// worked, recording a failure when not.
bool publish_keys(const Daemon& daemon, const TestUser& user);

// Sends every request of `requests` (their ids are replaced) with at most `window` awaiting
// their replies, and returns the replies in request order; a reply that did not come within
// `timeout` of the previous one is null, and the rest are then null too. Pushes read
// meanwhile are kept in client.pushes(). For many requests without a round trip each.
std::vector<nlohmann::json> request_all(WsClient& client, std::vector<nlohmann::json> requests,
                                        std::size_t window = 64,
                                        std::chrono::milliseconds timeout = 30s);

// Whether a ping is answered with a result within 5 s: the connection is still served.
bool pings(WsClient& client);

// Sends `request` every 200 ms while its reply's error code is `while_code` ("" while it
// succeeds), for at most 8 s, and returns the last reply (null if one timed out). For
// changes a live session notices only when it re-reads its account, every 5 s.
nlohmann::json poll_while(WsClient& client, const nlohmann::json& request,
                          const std::string& while_code);

// The value of one sample in Prometheus text, `series` written exactly as the exposition
// renders it (`name` or `name{label="v"}`); nullopt when absent.
std::optional<double> metric_sample(const std::string& metrics, const std::string& series);

// The body of GET /metrics, which must answer 200.
std::string scrape_metrics(const Daemon& daemon);

// metric_sample() of a fresh scrape; -1 when the series is absent.
double metric_value(const Daemon& daemon, const std::string& series);

// Polls `done` every 20 ms until it holds or `timeout` passes; returns whether it held.
// For what the daemon does asynchronously after a request has been answered.
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace xchat::testing
