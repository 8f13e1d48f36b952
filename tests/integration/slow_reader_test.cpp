// A client that stops reading must not make the server buffer without bound: once its
// outbound queue passes limits.max_outbound_queue_bytes it is closed with 1008, and
// nobody else notices.
#include <gtest/gtest.h>

#include <thread>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/honest_client.hpp"
#include "integration/support/messaging.hpp"
#include "integration/support/raw_connection.hpp"
#include "integration/support/ws_client.hpp"
#include "xchat/base64.hpp"
#include "xchat/signing.hpp"

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

// Logs every one of `users` in on a connection of its own from one of `addresses`
// loopback addresses (127.0.0.2 up), a small receive buffer each, with every challenge,
// then every login, in flight at once: the logins finish close together. Records a
// failure for each that does not work.
std::vector<std::unique_ptr<WsClient>> log_in_all(const Daemon& d,
                                                  const std::vector<TestUser>& users,
                                                  int addresses) {
  std::vector<std::unique_ptr<WsClient>> clients;
  for (std::size_t i = 0; i < users.size(); ++i) {
    ConnectOptions options = from_address(std::string("127.0.0.") + std::to_string(2 + i % addresses));
    options.receive_buffer = 4096;
    clients.push_back(connect_or_fail(d, options));
    if (clients.back() == nullptr) return {};
    EXPECT_TRUE(clients.back()->send_text(R"({"type":"auth.challenge","id":1})"));
  }
  for (std::size_t i = 0; i < users.size(); ++i) {
    const auto challenge = clients[i]->read_json().value_or(nullptr);
    if (!challenge.contains("result")) {
      ADD_FAILURE() << users[i].handle << ": " << challenge;
      return {};
    }
    const std::string nonce = challenge["result"]["nonce"];
    const std::string message = login_message("test.xchat", users[i].handle, users[i].device_id,
                                              base64_decode(nonce).value_or(""));
    const json request = {{"type", "auth.login"},
                          {"id", 2},
                          {"handle", users[i].handle},
                          {"device_id", users[i].device_id},
                          {"nonce", nonce},
                          {"signature", base64_encode(users[i].device.sign(message))}};
    EXPECT_TRUE(clients[i]->send_text(request.dump()));
  }
  for (std::size_t i = 0; i < users.size(); ++i) {
    const auto reply = clients[i]->read_json().value_or(nullptr);
    EXPECT_TRUE(reply.contains("result")) << users[i].handle << ": " << reply;
  }
  return clients;
}

// A thousand logged-in clients that stop reading while messages for them keep coming: the
// server holds at most their outbound queues, drops them once their pings go unanswered
// for limits.idle_timeout_seconds, and serves everyone else meanwhile.
TEST(SlowReader, AThousandClientsThatNeverReadAreDroppedAndMemoryStaysBounded) {
  raise_open_files_limit();
  constexpr int kReaders = 1000;
  constexpr int kMessagesEach = 2;
  constexpr std::int64_t kQueueBytes = 65536;
  // Every client, the sender included, reads only between its own steps: the timeout must
  // outlast a thousand logins, which take several seconds under a sanitizer.
  const int idle_timeout = daemon_is_instrumented() ? 20 : 5;
  Daemon d({{"limits.max_outbound_queue_bytes", std::to_string(kQueueBytes)},
            {"limits.max_envelope_bytes", "16384"},
            {"limits.ping_interval_seconds", "1"},
            {"limits.idle_timeout_seconds", std::to_string(idle_timeout)},
            {"limits.sends_per_account_per_minute", "100000"}});
  HonestClient honest(d);
  ASSERT_TRUE(honest.started()) << honest.last_failure();
  TestUser sender("@sender");
  auto sending = register_and_log_in(d, sender);
  ASSERT_NE(sending, nullptr);

  std::vector<TestUser> readers;
  std::vector<json> registrations;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back(std::string("@reader") + std::to_string(i));
    registrations.push_back(readers.back().register_request());
  }
  auto setup = connect_or_fail(d);
  ASSERT_NE(setup, nullptr);
  for (const auto& reply : request_all(*setup, registrations)) {
    ASSERT_TRUE(reply.contains("result")) << reply;
  }
  setup.reset();
  const long rss_before = d.rss_kib();

  // From here on none of them reads a byte: not the pushes, not the server's pings.
  auto silent_readers = log_in_all(d, readers, 4);
  ASSERT_EQ(silent_readers.size(), readers.size());
  std::vector<json> sends;
  for (int round = 0; round < kMessagesEach; ++round) {
    for (const auto& reader : readers) {
      sends.push_back(send_request(reader.handle, random_ciphertexts({1}, 12 * 1024)));
    }
  }
  long rss_peak = d.rss_kib();
  for (const auto& reply : request_all(*sending, sends)) {
    EXPECT_TRUE(reply.contains("result")) << reply;
  }
  rss_peak = std::max(rss_peak, d.rss_kib());
  EXPECT_TRUE(honest.wait_for_round_trips(3, 20s)) << honest.last_failure();

  // All dropped: only the honest pair, the sender and the scrape stay open.
  EXPECT_TRUE(eventually(
      [&] {
        rss_peak = std::max(rss_peak, d.rss_kib());
        return metric_value(d, "xchatd_connections_open") <= 4;
      },
      std::chrono::seconds(idle_timeout + 10)))
      << metric_value(d, "xchatd_connections_open") << " connections still open";
  std::printf("[ memory   ] RSS %ld KiB before the readers, %ld KiB at most with them\n",
              rss_before, rss_peak);
  if (daemon_memory_is_meaningful()) {
    // Each silent reader costs its session and at most its outbound queue.
    EXPECT_LT(rss_peak - rss_before, kReaders * (kQueueBytes + 64 * 1024) / 1024)
        << "server memory grew past the readers' queues";
  }
  expect_served(honest, 3);
  EXPECT_TRUE(pings(*sending));
  // Nothing sent to them was lost: it waits for their next login.
  auto back = log_in_on_new_connection(d, readers.front());
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(receive_until_queue_empty(*back, Ack::kEach).envelopes.size(),
            static_cast<std::size_t>(kMessagesEach));
}

}  // namespace
}  // namespace xchat::testing
