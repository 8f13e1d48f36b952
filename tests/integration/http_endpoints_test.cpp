// The plain-HTTP side of the listener: health check, Prometheus metrics, what other paths
// and methods get, and the Origin check on WebSocket upgrades.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <string>
#include <vector>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"

namespace xchat::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

// One HTTP/1.1 request on a fresh loopback connection, bounded by a timeout; returns the
// response status.
int http_status(std::uint16_t port, http::verb verb, const std::string& target) {
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(10s);
  stream.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(false);
  if (verb == http::verb::post) req.body() = "{}";
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return static_cast<int>(res.result_int());
}

std::unique_ptr<WsClient> connect_with_origin(const Daemon& d, const std::string& origin,
                                              int* http_status = nullptr) {
  ConnectOptions options;
  if (!origin.empty()) options.headers["Origin"] = origin;
  return WsClient::connect(d.port(), options, nullptr, http_status);
}

// Each of `origins` is refused the upgrade with 403 Forbidden.
void expect_refused_origins(const Daemon& d, const std::vector<std::string>& origins) {
  for (const auto& origin : origins) {
    SCOPED_TRACE(origin);
    int status = 0;
    EXPECT_EQ(connect_with_origin(d, origin, &status), nullptr);
    EXPECT_EQ(status, 403);
  }
}

TEST(HttpEndpoints, HealthzReportsOk) {
  Daemon d;
  std::string body;
  ASSERT_EQ(d.http_get("/healthz", &body), 200);
  EXPECT_EQ(json::parse(body), json({{"status", "ok"}}));
  // A query string does not change the resource.
  EXPECT_EQ(d.http_get("/healthz?probe=1"), 200);
}

TEST(HttpEndpoints, MetricsArePrometheusText) {
  Daemon d;
  auto client = connect_or_fail(d);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->request({{"type", "ping"}}).contains("result"));
  const std::string m = scrape_metrics(d);
  for (const std::string name :
       {"xchatd_connections_open", "xchatd_sessions_authenticated", "xchatd_frames_in_total",
        "xchatd_frames_out_total", "xchatd_store_transactions_total",
        "process_resident_memory_bytes"}) {
    EXPECT_NE(m.find("# TYPE " + name + " "), std::string::npos) << name << " has no TYPE line";
    EXPECT_TRUE(metric_sample(m, name).has_value()) << name << " missing in\n" << m;
  }
  // The WebSocket and this scrape are both open.
  EXPECT_GE(metric_sample(m, "xchatd_connections_open").value_or(0), 2);
  EXPECT_GE(metric_sample(m, "xchatd_frames_in_total").value_or(0), 1);
  EXPECT_GT(metric_sample(m, "process_resident_memory_bytes").value_or(0), 1024 * 1024);
  EXPECT_TRUE(metric_sample(m, R"(xchatd_errors_total{code="bad_request"})").has_value()) << m;
  EXPECT_NE(m.find("# TYPE xchatd_store_commit_seconds histogram"), std::string::npos);
  EXPECT_TRUE(metric_sample(m, R"(xchatd_store_commit_seconds_bucket{le="+Inf"})").has_value())
      << m;
  EXPECT_TRUE(metric_sample(m, "xchatd_store_commit_seconds_sum").has_value()) << m;
  EXPECT_TRUE(metric_sample(m, "xchatd_store_commit_seconds_count").has_value()) << m;
}

TEST(HttpEndpoints, AuthenticatedSessionsGaugeFollowsLoginAndDisconnect) {
  Daemon d;
  auto client = connect_or_fail(d);
  ASSERT_NE(client, nullptr);
  TestUser alice("@Alice");
  ASSERT_TRUE(register_user(*client, alice).contains("result"));
  EXPECT_EQ(metric_value(d, "xchatd_sessions_authenticated"), 0);
  ASSERT_TRUE(login(*client, alice).contains("result"));
  EXPECT_TRUE(eventually([&] { return metric_value(d, "xchatd_sessions_authenticated") == 1; }));
  client->close();
  EXPECT_TRUE(eventually([&] { return metric_value(d, "xchatd_sessions_authenticated") == 0; }));
  // Only the scrape itself is left open.
  EXPECT_TRUE(eventually([&] { return metric_value(d, "xchatd_connections_open") == 1; }));
  EXPECT_EQ(metric_value(d, "xchatd_websocket_sessions"), 0);
}

TEST(HttpEndpoints, ErrorAndFrameCountersCountBadFrames) {
  Daemon d;
  const std::string bad_request = R"(xchatd_errors_total{code="bad_request"})";
  const double errors_before = metric_value(d, bad_request);
  const double frames_before = metric_value(d, "xchatd_frames_in_total");
  ASSERT_GE(errors_before, 0);
  auto client = connect_or_fail(d);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->send_text("{not json"));
  ASSERT_TRUE(client->read_json().has_value());
  EXPECT_TRUE(eventually([&] { return metric_value(d, bad_request) == errors_before + 1; }));
  EXPECT_GE(metric_value(d, "xchatd_frames_in_total"), frames_before + 1);
}

TEST(HttpEndpoints, StoreCountersCountRegistrations) {
  Daemon d;
  const double transactions_before = metric_value(d, "xchatd_store_transactions_total");
  const double commits_before = metric_value(d, "xchatd_store_commit_seconds_count");
  auto client = connect_or_fail(d);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(register_user(*client, TestUser("@Bob")).contains("result"));
  // The reply is sent only after COMMIT, so the counters already include it.
  const std::string m = scrape_metrics(d);
  EXPECT_GE(metric_sample(m, "xchatd_store_transactions_total").value_or(0),
            transactions_before + 1);
  EXPECT_GE(metric_sample(m, "xchatd_store_commit_seconds_count").value_or(0), commits_before + 1);
}

TEST(HttpEndpoints, UnknownPathIs404) {
  Daemon d;
  std::string body;
  EXPECT_EQ(d.http_get("/nope", &body), 404);
  EXPECT_EQ(json::parse(body)["error"]["code"], "not_found");
  // Without an upgrade, the WebSocket path is not a page either.
  EXPECT_EQ(d.http_get("/v1/ws"), 404);
}

TEST(HttpEndpoints, OtherMethodsAre405) {
  Daemon d;
  EXPECT_EQ(http_status(d.port(), http::verb::post, "/healthz"), 405);
  EXPECT_EQ(http_status(d.port(), http::verb::delete_, "/metrics"), 405);
  EXPECT_EQ(http_status(d.port(), http::verb::head, "/healthz"), 200);
}

TEST(HttpEndpoints, WebSocketUpgradeAtAnotherPathIs404) {
  Daemon d;
  ConnectOptions options;
  options.target = "/v2/ws";
  int status = 0;
  EXPECT_EQ(WsClient::connect(d.port(), options, nullptr, &status), nullptr);
  EXPECT_EQ(status, 404);
}

TEST(HttpEndpoints, UpgradeChecksOriginAgainstAllowedOrigins) {
  Daemon d(Overrides{{"http.allowed_origins", R"(["https://chat.example"])"}});
  // A prefix or a different scheme is a different origin.
  expect_refused_origins(
      d, {"https://evil.example", "https://chat.example.evil", "http://chat.example"});

  auto allowed = connect_with_origin(d, "https://chat.example");
  ASSERT_NE(allowed, nullptr);
  EXPECT_TRUE(allowed->request({{"type", "ping"}}).contains("result"));
  auto native = connect_with_origin(d, "");
  ASSERT_NE(native, nullptr);
  EXPECT_TRUE(native->request({{"type", "ping"}}).contains("result"));
}

TEST(HttpEndpoints, DefaultRefusesEveryBrowserOrigin) {
  Daemon d;
  expect_refused_origins(d, {"https://chat.example", "null"});
  auto native = connect_with_origin(d, "");
  ASSERT_NE(native, nullptr);
  EXPECT_TRUE(native->request({{"type", "ping"}}).contains("result"));
}

}  // namespace
}  // namespace xchat::testing
