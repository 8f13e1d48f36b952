// Connection admission: the per-address and total limits, which address counts when a
// trusted proxy forwards, and the handshake deadline that stops slowloris clients. Only
// loopback sockets are used; 203.0.113.x (TEST-NET-3) appears only inside headers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/ws_client.hpp"

namespace xchat::testing {
namespace {

using Clients = std::vector<std::unique_ptr<WsClient>>;

std::unique_ptr<WsClient> connect_via(std::uint16_t port, const std::string& forwarded_for,
                                      int* http_status = nullptr) {
  ConnectOptions options;
  options.timeout = 3s;
  if (!forwarded_for.empty()) options.headers["X-Forwarded-For"] = forwarded_for;
  return WsClient::connect(port, options, nullptr, http_status);
}

// Opens `n` WebSockets (all must succeed) that send `forwarded_for` when not empty.
Clients open_clients(std::uint16_t port, int n, const std::string& forwarded_for = "") {
  Clients clients;
  for (int i = 0; i < n; ++i) {
    auto c = connect_via(port, forwarded_for);
    EXPECT_NE(c, nullptr) << "connection " << i + 1 << " of " << n << " refused";
    clients.push_back(std::move(c));
  }
  return clients;
}

// Retries a connection until one is admitted: the server frees a slot when the closed
// session is destroyed, which may lag the client's view of the close by a little.
std::unique_ptr<WsClient> connect_when_admitted(std::uint16_t port,
                                                std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto c = connect_via(port, "")) return c;
    if (std::chrono::steady_clock::now() >= deadline) return nullptr;
    std::this_thread::sleep_for(50ms);
  }
}

// A bare TCP connection, for clients that never finish their HTTP request.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection() { ::close(fd_); }

  bool connected() const { return connected_; }
  bool send(const std::string& data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }

  // True once the server has closed the connection (EOF or reset) within `timeout`;
  // anything the server sends first is read and discarded.
  bool closed_by_peer_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST(ConnectionLimits, PerAddressLimitRefusesTheFourthUntilOneCloses) {
  Daemon d(Overrides{{"limits.max_connections_per_ip", "3"}});
  Clients clients = open_clients(d.port(), 3);
  int status = 0;
  EXPECT_EQ(connect_via(d.port(), "", &status), nullptr);
  EXPECT_EQ(status, 503);

  auto other = connect_or_fail(d, from_address("127.0.0.2"));
  ASSERT_NE(other, nullptr) << "127.0.0.2 has its own budget";
  EXPECT_TRUE(pings(*other));

  for (auto& c : clients) ASSERT_TRUE(c != nullptr && pings(*c)) << "admitted clients unaffected";
  clients.front()->close();
  auto replacement = connect_when_admitted(d.port());
  ASSERT_NE(replacement, nullptr) << "closing a connection must free its slot";
  EXPECT_TRUE(pings(*replacement));
}

TEST(ConnectionLimits, TotalLimitClosesExtraConnections) {
  Daemon d(Overrides{{"limits.max_connections", "4"}});
  Clients clients = open_clients(d.port(), 4);
  std::string error;
  ConnectOptions options;
  options.timeout = 3s;
  EXPECT_EQ(WsClient::connect(d.port(), options, &error), nullptr);
  EXPECT_NE(error.find("handshake"), std::string::npos)
      << "TCP connects, then the server closes before the upgrade: " << error;

  for (auto& c : clients) ASSERT_TRUE(c != nullptr && pings(*c));
  clients.back()->close();
  auto replacement = connect_when_admitted(d.port());
  ASSERT_NE(replacement, nullptr);
  EXPECT_TRUE(pings(*replacement));
}

TEST(ConnectionLimits, TrustedProxyForwardedAddressIsTheOneCounted) {
  Daemon d({{"limits.max_connections_per_ip", "3"}, {"http.trusted_proxies", R"(["127.0.0.1"])"}});
  Clients clients = open_clients(d.port(), 3, "203.0.113.7");
  int status = 0;
  EXPECT_EQ(connect_via(d.port(), "203.0.113.7", &status), nullptr);
  EXPECT_EQ(status, 503);
  // Only the hop our proxy appended counts; what the client put before it is not believed.
  EXPECT_EQ(connect_via(d.port(), "203.0.113.8, 203.0.113.7", &status), nullptr);
  EXPECT_EQ(status, 503);
  auto other = connect_via(d.port(), "203.0.113.8");
  ASSERT_NE(other, nullptr) << "a different forwarded client has its own budget";
  EXPECT_TRUE(pings(*other));
  // The proxy's own address is not charged for the clients behind it.
  auto direct = connect_via(d.port(), "");
  ASSERT_NE(direct, nullptr);
  EXPECT_TRUE(pings(*direct));
}

TEST(ConnectionLimits, ForwardedForIsIgnoredWithoutTrustedProxies) {
  Daemon d(Overrides{{"limits.max_connections_per_ip", "3"}});
  Clients clients = open_clients(d.port(), 3, "203.0.113.7");
  int status = 0;
  EXPECT_EQ(connect_via(d.port(), "203.0.113.8", &status), nullptr)
      << "a forged X-Forwarded-For must not buy a new budget";
  EXPECT_EQ(status, 503);
  EXPECT_EQ(connect_via(d.port(), "", &status), nullptr);
  EXPECT_EQ(status, 503);
}

TEST(ConnectionLimits, HandshakeTimeoutClosesIncompleteRequests) {
  Daemon d(Overrides{{"limits.handshake_timeout_seconds", "1"}});
  auto upgraded = connect_via(d.port(), "");
  ASSERT_NE(upgraded, nullptr);

  RawConnection half_request(d.port());
  ASSERT_TRUE(half_request.connected());
  ASSERT_TRUE(half_request.send("GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webs"));
  RawConnection silent(d.port());
  ASSERT_TRUE(silent.connected());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(half_request.closed_by_peer_within(3s)) << "slowloris client was not cut off";
  EXPECT_TRUE(silent.closed_by_peer_within(3s)) << "silent client was not cut off";
  EXPECT_GE(std::chrono::steady_clock::now() - start, 500ms)
      << "closed at once rather than after the handshake timeout";

  // The deadline is for handshakes only: an upgraded connection quiet for longer stays.
  EXPECT_TRUE(pings(*upgraded));
  auto fresh = connect_via(d.port(), "");
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(pings(*fresh));
}

}  // namespace
}  // namespace xchat::testing
