#include "net/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>

namespace xchat::client {
namespace {

// One connection's worth of a server, scripted: it accepts, reads one request (headers,
// then a Content-Length or chunked body), answers `response` byte for byte and closes.
class ScriptedPeer {
 public:
  explicit ScriptedPeer(std::string response) : response_(std::move(response)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listener_, 1);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedPeer() {
    thread_.join();
    ::close(listener_);
  }

  std::uint16_t port() const { return port_; }
  // The request's header block and decoded body; complete once the client has the answer.
  const std::string& head() const { return head_; }
  const std::string& body() const { return body_; }

 private:
  void serve() {
    const int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    std::string in;
    char buffer[65536];
    auto fill = [&] {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n > 0) in.append(buffer, static_cast<std::size_t>(n));
      return n > 0;
    };
    while (in.find("\r\n\r\n") == std::string::npos && fill()) {
    }
    const auto end = in.find("\r\n\r\n");
    head_ = in.substr(0, end + 4);
    in.erase(0, end + 4);
    std::string lower = head_;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower.find("transfer-encoding: chunked") != std::string::npos) {
      for (;;) {
        while (in.find("\r\n") == std::string::npos && fill()) {
        }
        if (in.find("\r\n") == std::string::npos) break;  // the client gave up
        const std::size_t size = std::stoul(in.substr(0, in.find("\r\n")), nullptr, 16);
        in.erase(0, in.find("\r\n") + 2);
        while (in.size() < size + 2 && fill()) {
        }
        body_ += in.substr(0, size);
        in.erase(0, size + 2);
        if (size == 0) break;
      }
    } else if (const auto at = lower.find("content-length: "); at != std::string::npos) {
      const std::size_t length = std::stoul(lower.substr(at + 16));
      while (in.size() < length && fill()) {
      }
      body_ = in.substr(0, length);
    }
    ::send(fd, response_.data(), response_.size(), MSG_NOSIGNAL);
    ::close(fd);
  }

  std::string response_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string head_;
  std::string body_;
};

ConnectOptions loopback() {
  ConnectOptions o;
  o.host = "127.0.0.1";
  o.timeout = std::chrono::seconds(5);
  return o;
}

std::unique_ptr<HttpClient> connect(const ScriptedPeer& peer) {
  auto client = HttpClient::connect(peer.port(), loopback());
  EXPECT_TRUE(client) << (client ? "" : client.status().message());
  return client ? std::move(*client) : nullptr;
}

TEST(HttpClient, AResponseBodyStreamsToTheSinkInBoundedPieces) {
  const std::string body(300000, 'b');
  ScriptedPeer peer("HTTP/1.1 200 OK\r\nContent-Length: 300000\r\nX-Thing: yes\r\n\r\n" + body);
  auto client = connect(peer);
  ASSERT_NE(client, nullptr);
  std::string got;
  std::size_t largest = 0;
  auto response = client->exchange({"GET", "/file", {{"Range", "bytes=0-"}}, 0, {}},
                                   [&](const HttpResponse& head, std::string_view piece) {
                                     EXPECT_EQ(head.status, 200);
                                     largest = std::max(largest, piece.size());
                                     got.append(piece);
                                     return Status::ok();
                                   });
  ASSERT_TRUE(response) << response.status().message();
  EXPECT_EQ(response->header("x-THING"), "yes");
  EXPECT_EQ(response->header("missing"), "");
  EXPECT_TRUE(response->body.empty());
  EXPECT_EQ(got, body);
  EXPECT_LE(largest, HttpClient::kBufferBytes);
  EXPECT_NE(peer.head().find("GET /file HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(peer.head().find("Range: bytes=0-\r\n"), std::string::npos);
  EXPECT_NE(peer.head().find("Host: 127.0.0.1:"), std::string::npos);
}

TEST(HttpClient, AnErrorBodyIsReadWholeAndNeverReachesTheSink) {
  const std::string json = R"({"error":{"code":"offset_mismatch","message":"no"}})";
  ScriptedPeer peer("HTTP/1.1 409 Conflict\r\nContent-Length: " + std::to_string(json.size()) +
                    "\r\nConnection: close\r\n\r\n" + json);
  auto client = connect(peer);
  ASSERT_NE(client, nullptr);
  bool sunk = false;
  auto response =
      client->exchange({"GET", "/x", {}, 0, {}}, [&](const HttpResponse&, std::string_view) {
        sunk = true;
        return Status::ok();
      });
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 409);
  EXPECT_EQ(response->body, json);
  EXPECT_FALSE(sunk);
  EXPECT_FALSE(client->is_open()) << "the server said it closes";
}

TEST(HttpClient, ABodyCutShortIsUnavailableAndClosesTheConnection) {
  ScriptedPeer peer("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(5000, 'x'));
  auto client = connect(peer);
  ASSERT_NE(client, nullptr);
  std::size_t got = 0;
  auto response =
      client->exchange({"GET", "/x", {}, 0, {}}, [&](const HttpResponse&, std::string_view piece) {
        got += piece.size();
        return Status::ok();
      });
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(got, 5000u) << "what arrived was handed over";
  EXPECT_FALSE(client->is_open());
}

TEST(HttpClient, ARequestBodyIsSentPieceByPiece) {
  ScriptedPeer peer("HTTP/1.1 204 No Content\r\nUpload-Offset: 12\r\n\r\n");
  auto client = connect(peer);
  ASSERT_NE(client, nullptr);
  const std::string pieces[] = {"abcd", "efgh", "ijkl"};
  int next = 0;
  HttpRequest request{"PATCH", "/v1/attachments/x", {{"Upload-Offset", "0"}}, 12, {}};
  request.body = [&]() -> Result<std::string_view> { return std::string_view(pieces[next++]); };
  auto response = client->exchange(request);
  ASSERT_TRUE(response) << response.status().message();
  EXPECT_EQ(response->status, 204);
  EXPECT_EQ(response->header("Upload-Offset"), "12");
  EXPECT_EQ(peer.body(), "abcdefghijkl");
  EXPECT_NE(peer.head().find("PATCH /v1/attachments/x HTTP/1.1\r\n"), std::string::npos);
  EXPECT_NE(peer.head().find("Upload-Offset: 0\r\n"), std::string::npos);
}

TEST(HttpClient, AFailingBodySourceEndsTheRequestWithItsError) {
  ScriptedPeer peer("HTTP/1.1 204 No Content\r\n\r\n");
  auto client = connect(peer);
  ASSERT_NE(client, nullptr);
  HttpRequest request{"PATCH", "/x", {}, 10, {}};
  request.body = []() -> Result<std::string_view> {
    return Status(ErrorCode::kInternal, "cannot read the file");
  };
  auto response = client->exchange(request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.status().message(), "cannot read the file");
  EXPECT_FALSE(client->is_open());
}

TEST(HttpClient, NobodyListeningIsUnavailable) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);  // a port that was free a moment ago, and is not listened on
  auto client = HttpClient::connect(ntohs(a.sin_port), loopback());
  ASSERT_FALSE(client);
  EXPECT_EQ(client.status().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace xchat::client
