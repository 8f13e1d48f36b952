// A client that stops reading must not make the server buffer without bound: once its
// outbound queue passes limits.max_outbound_queue_bytes it is closed with 1008, and
// nobody else notices.
#include <gtest/gtest.h>

#include <thread>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/ws_client.hpp"

namespace xchat::testing {
namespace {

using nlohmann::json;

double slow_consumer_closes(const Daemon& d) {
  return metric_value(d, "xchatd_slow_consumer_closes_total");
}

// A ping with a 64-character id: the reply is about 100 bytes, so a few thousand unread
// replies pass a 64 KiB queue once the kernel buffers are full.
std::string long_id_ping(std::int64_t n) {
  std::string id = std::to_string(n);
  id.insert(0, 64 - id.size(), '0');
  return json{{"type", "ping"}, {"id", id}}.dump();
}

TEST(SlowReader, ClientThatStopsReadingIsClosedWith1008) {
  Daemon d(Overrides{{"limits.max_outbound_queue_bytes", "65536"},
                     {"limits.max_envelope_bytes", "4096"}});
  auto healthy = connect_or_fail(d);
  ASSERT_NE(healthy, nullptr);
  ASSERT_TRUE(pings(*healthy));
  ASSERT_EQ(slow_consumer_closes(d), 0);
  const long rss_before = d.rss_kib();
  ASSERT_GT(rss_before, 0);

  ConnectOptions options;
  options.receive_buffer = 4096;
  auto slow = connect_or_fail(d, options);
  ASSERT_NE(slow, nullptr);

  // Flood without reading. The server stops reading from a connection it is closing, so
  // sending would eventually block: stop as soon as the metric shows the close.
  constexpr std::int64_t kMaxRequests = 200000;
  constexpr std::int64_t kCheckEvery = 200;
  const auto give_up = std::chrono::steady_clock::now() + 15s;
  std::int64_t sent = 0;
  bool closed_by_server = false;
  while (sent < kMaxRequests && std::chrono::steady_clock::now() < give_up) {
    ASSERT_TRUE(slow->send_text(long_id_ping(sent), 2s)) << "send blocked after " << sent;
    if (++sent % kCheckEvery == 0 && slow_consumer_closes(d) >= 1) {
      closed_by_server = true;
      break;
    }
  }
  ASSERT_TRUE(closed_by_server) << "no slow-consumer close after " << sent << " requests";
  EXPECT_TRUE(pings(*healthy)) << "a well-behaved client was affected";

  // Reading now drains what the kernel held, then the close frame.
  EXPECT_EQ(slow->wait_close(10s), 1008);
  EXPECT_TRUE(pings(*healthy));
  if (daemon_memory_is_meaningful()) {
    EXPECT_LT(d.rss_kib(), rss_before + 64 * 1024) << "server memory grew with the backlog";
  }
  EXPECT_EQ(slow_consumer_closes(d), 1);
}

// The queue rule is about unread replies, not idleness: a client that sends a burst, reads
// nothing while the server pings it, then catches up, stays connected.
TEST(SlowReader, BurstThenLateReadIsNotDisconnected) {
  Daemon d(Overrides{{"limits.max_outbound_queue_bytes", "16384"},
                     {"limits.max_envelope_bytes", "4096"},
                     {"limits.ping_interval_seconds", "1"}});
  ConnectOptions options;
  options.receive_buffer = 4096;
  auto client = connect_or_fail(d, options);
  ASSERT_NE(client, nullptr);
  constexpr int kBurst = 50;
  for (int i = 0; i < kBurst; ++i) ASSERT_TRUE(client->send_text(long_id_ping(i)));
  std::this_thread::sleep_for(2200ms);  // two server pings go unanswered meanwhile
  for (int i = 0; i < kBurst; ++i) {
    auto reply = client->read_json(5s);
    ASSERT_TRUE(reply.has_value()) << "reply " << i << " missing";
    EXPECT_EQ((*reply)["id"], json::parse(long_id_ping(i))["id"]);
  }
  EXPECT_TRUE(pings(*client));
  EXPECT_EQ(slow_consumer_closes(d), 0);
}

}  // namespace
}  // namespace xchat::testing
