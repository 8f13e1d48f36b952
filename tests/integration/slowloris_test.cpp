// Slowloris and its cousins: upgrade requests sent a byte at a time, requests cut off
// half-way with the sending half closed, sockets that never send, and upgraded sockets that
// go quiet. Each is closed by the handshake or idle timeout, none can take another
// address's share of the connection budget, and an honest pair of users (reconnecting and
// logging in again every few messages) is served throughout.
#include <gtest/gtest.h>

#include <thread>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/honest_client.hpp"
#include "integration/support/raw_connection.hpp"

namespace xchat::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<RawConnection> open_raw(const Daemon& d, int n, int first_address, int addresses) {
  std::vector<RawConnection> connections;
  for (int i = 0; i < n; ++i) {
    connections.emplace_back(d.port(), std::string("127.0.0.") + std::to_string(first_address + i % addresses));
    EXPECT_TRUE(connections.back().connected()) << "connection " << i;
  }
  return connections;
}

double open_connections(const Daemon& d) { return metric_value(d, "xchatd_connections_open"); }

TEST(Slowloris, DripFedHalfOpenSilentAndQuietSocketsAreAllClosed) {
  raise_open_files_limit();
  Daemon d({{"limits.handshake_timeout_seconds", "2"},
            {"limits.ping_interval_seconds", "1"},
            {"limits.idle_timeout_seconds", "3"}});
  HonestClient honest(d, {.reconnect_every = 5});
  ASSERT_TRUE(honest.started()) << honest.last_failure();
  const std::string request = RawConnection::upgrade_request();

  // 1,000 drip-fed upgrades from four addresses (under the default 256 per address).
  auto drip = open_raw(d, 1000, 2, 4);
  // Requests cut off half-way, their sending half closed: the server reads end-of-stream.
  auto half_open = open_raw(d, 100, 6, 1);
  for (auto& c : half_open) {
    EXPECT_TRUE(c.send(request.substr(0, request.size() / 2)));
    c.shutdown_send();
  }
  auto silent = open_raw(d, 100, 7, 1);
  // Upgraded, then never another byte in either direction: no pong answers the pings.
  auto quiet = open_raw(d, 100, 8, 1);
  for (auto& c : quiet) {
    EXPECT_TRUE(c.send(request));
    EXPECT_TRUE(c.read_head().starts_with("HTTP/1.1 101 "));
  }

  // One byte of each drip request every 100 ms: no request is complete before the
  // handshake timeout. A send fails once the server has closed that connection.
  const auto start = Clock::now();
  std::vector<bool> cut_off(drip.size(), false);
  std::size_t cut = 0;
  for (std::size_t byte = 0; byte < request.size() && cut < drip.size(); ++byte) {
    for (std::size_t i = 0; i < drip.size(); ++i) {
      if (!cut_off[i] && !drip[i].send(request.substr(byte, 1), 1s)) {
        cut_off[i] = true;
        ++cut;
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(count_closed_by_peer(drip, 5s), drip.size()) << "drip-fed upgrades left open";
  EXPECT_GE(Clock::now() - start, 1500ms) << "closed before the handshake timeout";
  EXPECT_EQ(count_closed_by_peer(half_open, 5s), half_open.size());
  EXPECT_EQ(count_closed_by_peer(silent, 5s), silent.size());
  EXPECT_EQ(count_closed_by_peer(quiet, 8s), quiet.size()) << "quiet sessions not dropped";

  EXPECT_TRUE(honest.wait_for_round_trips(3, 20s)) << honest.last_failure();
  // Nothing is left of the attack: only the honest pair and the scrape are open.
  EXPECT_TRUE(eventually([&] { return open_connections(d) <= 3; }, 5s)) << open_connections(d);
  expect_served(honest, 10);
  EXPECT_GE(honest.reconnects(), 1);
}

TEST(Slowloris, ConnectionsStillInHttpFromOneAddressCannotTakeTheWholeBudget) {
  Daemon d({{"limits.max_connections", "300"},
            {"limits.max_connections_per_ip", "100"},
            {"limits.handshake_timeout_seconds", "30"}});
  HonestClient honest(d, {.reconnect_every = 3});
  ASSERT_TRUE(honest.started()) << honest.last_failure();

  auto silent = open_raw(d, 300, 2, 1);
  EXPECT_EQ(count_closed_by_peer(silent, 2s), 200u) << "127.0.0.2 may hold 100 in HTTP";

  // Another address, and the honest users' reconnections, still find room.
  auto other = WsClient::connect(d.port(), from_address("127.0.0.3"));
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(pings(*other));
  EXPECT_TRUE(honest.wait_for_round_trips(7, 20s)) << honest.last_failure();
  // 127.0.0.2 itself has to wait until it lets go of some.
  EXPECT_EQ(WsClient::connect(d.port(), from_address("127.0.0.2")), nullptr);
  silent.clear();
  std::unique_ptr<WsClient> upgraded;
  EXPECT_TRUE(eventually(
      [&] { return (upgraded = WsClient::connect(d.port(), from_address("127.0.0.2"))) != nullptr; }));
  expect_served(honest, 7);
  EXPECT_GE(honest.reconnects(), 2);
}

TEST(Slowloris, ATrustedProxysConnectionsAreNotCountedUntilTheirUpgrade) {
  Daemon d({{"limits.max_connections_per_ip", "10"},
            {"limits.handshake_timeout_seconds", "30"},
            {"http.trusted_proxies", R"(["127.0.0.2"])"}});
  auto from_proxy = open_raw(d, 30, 2, 1);
  EXPECT_EQ(count_closed_by_peer(from_proxy, 1s), 0u)
      << "a proxy's connections are many clients'; each is counted by X-Forwarded-For";
}

}  // namespace
}  // namespace xchat::testing
