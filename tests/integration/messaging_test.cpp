// Messaging as clients see it: a send is stored for every device of the recipient and
// delivered in seq order until each device acknowledges it, across reconnects, restarts and
// a second connection; retries are answered once; refused sends store nothing; ephemeral
// envelopes are never stored; and what the server keeps on disk is ciphertext only.
#include "integration/support/messaging.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <numeric>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "integration/support/daemon.hpp"
#include "integration/support/data_files.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"
#include "xchat/base64.hpp"

namespace xchat::testing {
namespace {

using nlohmann::json;

// For tests that send more than the default 600 a minute.
const Overrides kManySends = {{"limits.sends_per_account_per_minute", "1000000"}};

// The result of a send that must be accepted; null, with the failure recorded, if it is not.
json accepted(WsClient& c, const json& request) {
  auto reply = c.request(request);
  EXPECT_TRUE(reply.contains("result")) << request.dump() << "\n-> " << reply.dump();
  return reply.contains("result") ? reply["result"] : json();
}

// `array` in ascending order (not an array: unchanged).
json sorted(json array) {
  if (array.is_array()) std::sort(array.begin(), array.end());
  return array;
}

json ack(WsClient& c, const std::vector<std::int64_t>& seqs) {
  return c.request({{"type", "ack"}, {"seqs", seqs}});
}

// Sends all `requests` pipelined, each of which must be accepted; returns their results
// (null for one that was not, with the failure recorded).
std::vector<json> send_all(WsClient& c, const std::vector<json>& requests) {
  std::vector<json> replies = request_all(c, requests);
  std::vector<json> results;
  std::size_t refused = 0;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i].contains("result") && refused++ == 0) {
      ADD_FAILURE() << "send " << i << " of " << requests.size() << ": " << replies[i].dump();
    }
    results.push_back(replies[i].contains("result") ? replies[i]["result"] : json());
  }
  EXPECT_EQ(refused, 0u) << "sends not accepted";
  return results;
}

// Indexes of stored sends to one device, by the seq each got: iterating it is the order
// in which that device must receive them.
std::map<std::int64_t, std::size_t> by_seq(const std::vector<json>& results,
                                           std::uint32_t device_id) {
  std::map<std::int64_t, std::size_t> order;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const std::int64_t seq = result_seq(results[i], device_id);
    EXPECT_GT(seq, 0) << "send " << i << ": " << results[i].dump();
    EXPECT_TRUE(order.emplace(seq, i).second) << "seq " << seq << " given to two sends";
  }
  return order;
}

// Checks that `received` is exactly the sends of `order` from its `skip`th on, in seq order,
// as device 1 of the recipient gets them. Stops at the first difference.
void expect_in_seq_order(const std::vector<json>& received, const TestUser& sender,
                         const std::vector<json>& requests, const std::vector<json>& results,
                         const std::map<std::int64_t, std::size_t>& order, std::size_t skip = 0) {
  ASSERT_EQ(received.size(), order.size() - skip) << "envelopes received";
  auto it = std::next(order.begin(), static_cast<std::ptrdiff_t>(skip));
  for (std::size_t i = 0; i < received.size(); ++i, ++it) {
    const std::size_t index = it->second;
    ASSERT_EQ(without_request_flag(received[i]),
              expected_envelope(sender, requests[index], results[index], 1))
        << "envelope " << i << " received should be send " << index << " (seq " << it->first << ")";
  }
}

TEST(Messaging, OnlineRecipientReceivesTheEnvelopeAndItsAckDeletesIt) {
  Daemon d;
  TestUser alice("@Alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  auto recipient = register_and_log_in(d, bob);
  ASSERT_NE(recipient, nullptr);
  // Nothing is stored for bob: his backlog is queue_empty alone.
  Delivery backlog = receive_until_queue_empty(*recipient, Ack::kNone);
  ASSERT_EQ(backlog.problem, "");
  EXPECT_EQ(backlog.envelopes, std::vector<json>());

  const json request = send_request("@BOB", random_ciphertexts({1}));
  const json result = accepted(*sender, request);
  ASSERT_FALSE(result.is_null());
  EXPECT_EQ(result.value("message_id", json()), request["message_id"]);
  EXPECT_TRUE(plausible_timestamp(result.value("timestamp", json()))) << result.dump();
  EXPECT_EQ(result.value("envelopes", json()).size(), 1u) << result.dump();
  const std::int64_t seq = result_seq(result, 1);
  EXPECT_GE(seq, 1) << result.dump();
  EXPECT_FALSE(result.contains("sync")) << "no sync was asked for: " << result.dump();

  Delivery got = receive_envelopes(*recipient, 1, Ack::kNone);
  ASSERT_EQ(got.problem, "");
  EXPECT_EQ(without_request_flag(got.envelopes[0]), expected_envelope(alice, request, result, 1));
  EXPECT_EQ(got.other, std::vector<json>());

  auto reply = ack(*recipient, {seq});
  EXPECT_EQ(reply.value("result", json()), json({{"acked", 1}})) << reply.dump();
  reply = ack(*recipient, {seq});
  EXPECT_EQ(reply.value("result", json()), json({{"acked", 0}})) << "acknowledged twice";
  // The sending device gets no copy of its own send.
  Delivery to_sender = receive_for(*sender);
  EXPECT_EQ(to_sender.envelopes, std::vector<json>());
  // Acknowledged means deleted: the next login has nothing.
  EXPECT_EQ(log_in_and_drain(d, bob), std::vector<json>());
}

TEST(Messaging, TenThousandQueuedEnvelopesDrainInOrderWithNothingLostOrDuplicated) {
  Daemon d(kManySends);
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(register_offline(d, bob));

  constexpr std::size_t kCount = 10000;
  std::vector<json> requests;
  for (std::size_t i = 0; i < kCount; ++i) {
    requests.push_back(send_request("@bob", random_ciphertexts({1}, 32)));
  }
  const std::vector<json> results = send_all(*sender, requests);
  ASSERT_FALSE(::testing::Test::HasFailure());
  const auto order = by_seq(results, 1);
  ASSERT_EQ(order.size(), kCount);

  auto recipient = log_in_on_new_connection(d, bob);
  ASSERT_NE(recipient, nullptr);
  Delivery got = receive_until_queue_empty(*recipient, Ack::kEach);
  ASSERT_EQ(got.problem, "");
  EXPECT_EQ(got.other, std::vector<json>());
  expect_in_seq_order(got.envelopes, alice, requests, results, order);
  // queue_empty came last: nothing follows it, and nothing is left.
  EXPECT_EQ(receive_for(*recipient).envelopes, std::vector<json>());
  EXPECT_EQ(log_in_and_drain(d, bob), std::vector<json>());
}

TEST(Messaging, ReconnectingMidDrainKeepsTheOrderAndLosesNothing) {
  Daemon d(kManySends);
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(register_offline(d, bob));
  std::vector<json> requests;
  for (int i = 0; i < 300; ++i) requests.push_back(send_request("@bob", random_ciphertexts({1})));
  const std::vector<json> results = send_all(*sender, requests);
  ASSERT_FALSE(::testing::Test::HasFailure());
  const auto order = by_seq(results, 1);
  std::vector<std::int64_t> seqs;
  for (const auto& [seq, index] : order) seqs.push_back(seq);

  auto first = log_in_on_new_connection(d, bob);
  ASSERT_NE(first, nullptr);
  Delivery acknowledged = receive_envelopes(*first, 100, Ack::kEach);
  ASSERT_EQ(acknowledged.problem, "");
  Delivery unacknowledged = receive_envelopes(*first, 20, Ack::kNone);
  ASSERT_EQ(unacknowledged.problem, "");
  EXPECT_EQ(seqs_of(acknowledged.envelopes),
            std::vector<std::int64_t>(seqs.begin(), seqs.begin() + 100));
  EXPECT_EQ(seqs_of(unacknowledged.envelopes),
            std::vector<std::int64_t>(seqs.begin() + 100, seqs.begin() + 120));
  first.reset();  // the connection drops, without a close handshake

  // The next login resumes at the first unacknowledged envelope.
  auto second = log_in_on_new_connection(d, bob);
  ASSERT_NE(second, nullptr);
  Delivery rest = receive_until_queue_empty(*second, Ack::kEach);
  ASSERT_EQ(rest.problem, "");
  expect_in_seq_order(rest.envelopes, alice, requests, results, order, 100);
}

TEST(Messaging, UnacknowledgedEnvelopesComeAgainOnTheNextLogin) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  auto recipient = register_and_log_in(d, bob);
  ASSERT_NE(recipient, nullptr);
  std::vector<json> expected;
  for (int i = 0; i < 3; ++i) {
    const json request = send_request("@bob", random_ciphertexts({1}));
    expected.push_back(expected_envelope(alice, request, accepted(*sender, request), 1));
  }
  // One send after another: seq order is send order.
  Delivery first = receive_envelopes(*recipient, 3, Ack::kNone);
  ASSERT_EQ(first.problem, "");
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(without_request_flag(first.envelopes[i]), expected[i]) << "envelope " << i;
  }
  recipient.reset();

  auto again = log_in_on_new_connection(d, bob);
  ASSERT_NE(again, nullptr);
  Delivery second = receive_until_queue_empty(*again, Ack::kEach);
  ASSERT_EQ(second.problem, "");
  EXPECT_EQ(second.envelopes, first.envelopes) << "redelivered envelopes differ";
  EXPECT_EQ(log_in_and_drain(d, bob), std::vector<json>());
}

TEST(Messaging, LargeEnvelopesAreHeldBackByTheByteBudgetNotDropped) {
  // 64 unacknowledged envelopes of 60 KB would be ~5 MB of frames, over the 4 MiB outbound
  // queue: the window must close on bytes first, for a client that reads but has not yet
  // acknowledged.
  Daemon d(Overrides{{"limits.sends_per_account_per_minute", "1000"}});
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(register_offline(d, bob));
  constexpr int kCount = 80;
  std::vector<std::int64_t> seqs;
  for (int i = 0; i < kCount; ++i) {
    seqs.push_back(
        result_seq(accepted(*sender, send_request("@bob", random_ciphertexts({1}, 60'000))), 1));
  }
  auto recipient = log_in_on_new_connection(d, bob);
  ASSERT_NE(recipient, nullptr);
  Delivery first = receive_for(*recipient, 500ms);
  ASSERT_EQ(first.problem, "");
  ASSERT_GT(first.envelopes.size(), 0u);
  EXPECT_LT(first.envelopes.size(), 64u) << "the byte budget did not hold the window";
  EXPECT_TRUE(pings(*recipient)) << "the reading client was disconnected";
  auto reply = ack(*recipient, seqs_of(first.envelopes));
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  Delivery rest = receive_until_queue_empty(*recipient, Ack::kEach);
  ASSERT_EQ(rest.problem, "");
  std::vector<std::int64_t> all = seqs_of(first.envelopes);
  for (auto seq : seqs_of(rest.envelopes)) all.push_back(seq);
  EXPECT_EQ(all, seqs);
}

TEST(Messaging, DeliveryWindowWaitsForAcknowledgements) {
  Daemon d(Overrides{{"limits.max_unacked_envelopes", "4"}});
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(register_offline(d, bob));
  std::vector<std::int64_t> seqs;
  for (int i = 0; i < 10; ++i) {
    seqs.push_back(result_seq(accepted(*sender, send_request("@bob", random_ciphertexts({1}))), 1));
  }
  auto part = [&](std::size_t from, std::size_t to) {
    return std::vector<std::int64_t>(seqs.begin() + static_cast<std::ptrdiff_t>(from),
                                     seqs.begin() + static_cast<std::ptrdiff_t>(to));
  };

  auto recipient = log_in_on_new_connection(d, bob);
  ASSERT_NE(recipient, nullptr);
  Delivery window = receive_envelopes(*recipient, 4, Ack::kNone);
  ASSERT_EQ(window.problem, "");
  EXPECT_EQ(seqs_of(window.envelopes), part(0, 4));
  Delivery held = receive_for(*recipient);
  EXPECT_EQ(seqs_of(held.envelopes), std::vector<std::int64_t>()) << "sent past a full window";
  EXPECT_FALSE(held.queue_empty);

  // Two acknowledgements make room for exactly two more.
  auto reply = ack(*recipient, part(0, 2));
  EXPECT_EQ(reply.value("result", json()), json({{"acked", 2}})) << reply.dump();
  Delivery more = receive_envelopes(*recipient, 2, Ack::kNone);
  ASSERT_EQ(more.problem, "");
  EXPECT_EQ(seqs_of(more.envelopes), part(4, 6));
  held = receive_for(*recipient);
  EXPECT_EQ(seqs_of(held.envelopes), std::vector<std::int64_t>()) << "sent past a full window";

  reply = ack(*recipient, part(2, 6));
  EXPECT_EQ(reply.value("result", json()), json({{"acked", 4}})) << reply.dump();
  Delivery rest = receive_until_queue_empty(*recipient, Ack::kEach);
  ASSERT_EQ(rest.problem, "");
  EXPECT_EQ(seqs_of(rest.envelopes), part(6, 10));
}

TEST(Messaging, RetriedSendIsAnsweredWithTheOriginalResultAndDeliveredOnce) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  TestUser carol("@carol");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(register_offline(d, bob));
  ASSERT_TRUE(register_offline(d, carol));

  const json request = send_request("@bob", random_ciphertexts({1}));
  const json original = accepted(*sender, request);
  ASSERT_FALSE(original.is_null());
  auto reply = sender->request(request);
  EXPECT_EQ(reply.value("result", json()), original) << "retry on the same connection";
  // A retry after a reconnect, as after a lost reply, even one whose ciphertext differs.
  sender = log_in_on_new_connection(d, alice);
  ASSERT_NE(sender, nullptr);
  json changed = request;
  changed["envelopes"][0]["ciphertext"] = base64_encode(random_bytes(48));
  reply = sender->request(changed);
  EXPECT_EQ(reply.value("result", json()), original) << "retry on a new connection";
  // The message id cannot be reused for another recipient.
  json elsewhere = request;
  elsewhere["to"] = "@carol";
  reply = sender->request(elsewhere);
  EXPECT_EQ(error_code(reply), "bad_request") << reply.dump();

  const auto received = log_in_and_drain(d, bob);
  ASSERT_EQ(received.size(), 1u) << "the retries were delivered too";
  EXPECT_EQ(without_request_flag(received[0]), expected_envelope(alice, request, original, 1));
  EXPECT_EQ(log_in_and_drain(d, carol), std::vector<json>());
}

TEST(Messaging, RetryAfterTheDedupWindowIsANewMessage) {
  // Send records stay while an unsend or edit window needs them: keep those short too.
  Daemon d(Overrides{{"messages.dedup_window_hours", "1"},
                     {"messages.unsend_window_seconds", "600"},
                     {"messages.edit_window_seconds", "600"}});
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(register_offline(d, bob));
  const json request = send_request("@bob", random_ciphertexts({1}));
  const json original = accepted(*sender, request);
  ASSERT_FALSE(original.is_null());
  sender.reset();
  ASSERT_EQ(d.stop(SIGTERM), 0);

  // The send was accepted two hours ago, as far as the database knows.
  EXPECT_EQ(sql_execute(d, "UPDATE sends SET accepted_at = accepted_at - " +
                               std::to_string(std::int64_t{2} * 3600 * 1000)),
            1);
  d.start();
  sender = log_in_on_new_connection(d, alice);
  ASSERT_NE(sender, nullptr);
  const json again = accepted(*sender, request);
  EXPECT_GT(result_seq(again, 1), result_seq(original, 1)) << again.dump();

  const auto received = log_in_and_drain(d, bob);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(without_request_flag(received[0]), expected_envelope(alice, request, original, 1));
  EXPECT_EQ(without_request_flag(received[1]), expected_envelope(alice, request, again, 1));
}

TEST(Messaging, SameMessageIdFromAnotherDeviceIsAnotherMessage) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto first = register_and_log_in(d, alice);
  ASSERT_NE(first, nullptr);
  const auto alice2 = add_device(*first, alice, 2);
  ASSERT_TRUE(alice2.has_value());
  auto second = log_in_on_new_connection(d, *alice2);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(register_offline(d, bob));

  const json request = send_request("@bob", random_ciphertexts({1}));
  const json from_first = accepted(*first, request);
  const json from_second = accepted(*second, request);
  ASSERT_FALSE(from_first.is_null());
  ASSERT_FALSE(from_second.is_null());
  EXPECT_GT(result_seq(from_second, 1), result_seq(from_first, 1));

  const auto received = log_in_and_drain(d, bob);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(without_request_flag(received[0]), expected_envelope(alice, request, from_first, 1));
  EXPECT_EQ(without_request_flag(received[1]), expected_envelope(*alice2, request, from_second, 1));
}

TEST(Messaging, StaleDeviceListIsRefusedWithTheCurrentDevicesAndStoresNothing) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  const auto alice2 = add_device(*sender, alice, 2);
  ASSERT_TRUE(alice2.has_value());
  std::optional<TestUser> bob3;
  {
    auto c = register_and_log_in(d, bob);
    ASSERT_NE(c, nullptr);
    bob3 = add_device(*c, bob, 3);
    ASSERT_TRUE(bob3.has_value());
  }
  // Every device publishes keys: only then must a send address it. (The sending device's
  // own keys do not matter; it is never addressed.)
  for (const TestUser& device : {*alice2, bob, *bob3}) {
    ASSERT_TRUE(publish_keys(d, device)) << device.handle << " device " << device.device_id;
  }

  struct Case {
    std::string what;
    std::vector<std::uint32_t> envelopes;
    std::optional<std::vector<std::uint32_t>> sync;
  };
  const std::vector<Case> cases = {
      {"a recipient device missing", {1}, std::nullopt},
      {"an unknown recipient device instead", {1, 2}, std::nullopt},
      {"an unknown recipient device extra", {1, 3, 4}, std::nullopt},
      {"a recipient device missing, sync right", {3}, std::vector<std::uint32_t>{2}},
      {"the sender's other device missing from sync", {1, 3}, std::vector<std::uint32_t>{}},
      {"the sending device in sync", {1, 3}, std::vector<std::uint32_t>{1}},
      {"an unknown device in sync", {1, 3}, std::vector<std::uint32_t>{2, 5}},
  };
  for (const auto& c : cases) {
    std::optional<Ciphertexts> sync;
    if (c.sync) sync = random_ciphertexts(*c.sync);
    const auto reply = sender->request(send_request("@bob", random_ciphertexts(c.envelopes), sync));
    ASSERT_EQ(error_code(reply), "stale_devices") << c.what << ": " << reply.dump();
    const json& error = reply["error"];
    EXPECT_EQ(sorted(error.value("devices", json())), json::array({1, 3}))
        << c.what << ": " << reply.dump();
    if (c.sync) {
      EXPECT_EQ(error.value("sync_devices", json()), json::array({2}))
          << c.what << ": " << reply.dump();
    } else {
      EXPECT_FALSE(error.contains("sync_devices")) << c.what << ": " << reply.dump();
    }
  }
  // None of it was stored, for any device.
  EXPECT_EQ(log_in_and_drain(d, bob), std::vector<json>());
  EXPECT_EQ(log_in_and_drain(d, *bob3), std::vector<json>());
  EXPECT_EQ(log_in_and_drain(d, *alice2), std::vector<json>());

  // With the lists the error gave, the send goes through to every device.
  const json request = send_request("@bob", random_ciphertexts({1, 3}), random_ciphertexts({2}));
  const json result = accepted(*sender, request);
  ASSERT_FALSE(result.is_null());
  const auto to_bob1 = log_in_and_drain(d, bob);
  ASSERT_EQ(to_bob1.size(), 1u);
  EXPECT_EQ(without_request_flag(to_bob1[0]), expected_envelope(alice, request, result, 1));
  const auto to_bob3 = log_in_and_drain(d, *bob3);
  ASSERT_EQ(to_bob3.size(), 1u);
  EXPECT_EQ(without_request_flag(to_bob3[0]), expected_envelope(alice, request, result, 3));
  const auto to_alice2 = log_in_and_drain(d, *alice2);
  ASSERT_EQ(to_alice2.size(), 1u);
  EXPECT_EQ(without_request_flag(to_alice2[0]),
            expected_envelope(alice, request, result, 2, "sync"));
}

TEST(Messaging, ADeviceWithoutKeysMayBeLeftOutButNotAnUnknownOne) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  std::optional<TestUser> bob2;
  {
    auto c = register_and_log_in(d, bob);
    ASSERT_NE(c, nullptr);
    bob2 = add_device(*c, bob, 2);
    ASSERT_TRUE(bob2.has_value());
  }
  // Device 1 published keys, device 2 did not: keys.fetch offers only device 1, and a send
  // encrypted for it alone is complete.
  ASSERT_TRUE(publish_keys(d, bob));
  const json request = send_request("@bob", random_ciphertexts({1}));
  const json result = accepted(*sender, request);
  ASSERT_FALSE(result.is_null());
  auto reply = sender->request(send_request("@bob", random_ciphertexts({1, 2, 7})));
  EXPECT_EQ(error_code(reply), "stale_devices") << reply.dump();
  // Leaving out the device with keys is stale even when the keyless one is addressed.
  reply = sender->request(send_request("@bob", random_ciphertexts({2})));
  EXPECT_EQ(error_code(reply), "stale_devices") << reply.dump();

  const auto to_bob1 = log_in_and_drain(d, bob);
  ASSERT_EQ(to_bob1.size(), 1u);
  EXPECT_EQ(without_request_flag(to_bob1[0]), expected_envelope(alice, request, result, 1));
  EXPECT_EQ(log_in_and_drain(d, *bob2), std::vector<json>());
}

TEST(Messaging, SyncCopiesReachTheSendersOtherDevicesOnly) {
  Daemon d;
  TestUser alice("@Alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  const auto alice2 = add_device(*sender, alice, 2);
  const auto alice3 = add_device(*sender, alice, 3);
  ASSERT_TRUE(alice2.has_value() && alice3.has_value());
  auto online_copy = log_in_on_new_connection(d, *alice3);
  ASSERT_NE(online_copy, nullptr);
  ASSERT_EQ(receive_until_queue_empty(*online_copy, Ack::kNone).problem, "");
  auto recipient = register_and_log_in(d, bob);
  ASSERT_NE(recipient, nullptr);

  const json request = send_request("@bob", random_ciphertexts({1}), random_ciphertexts({2, 3}));
  const json result = accepted(*sender, request);
  ASSERT_FALSE(result.is_null());
  EXPECT_EQ(result.value("sync", json()).size(), 2u) << result.dump();
  EXPECT_GT(result_seq(result, 2, "sync"), 0) << result.dump();
  EXPECT_GT(result_seq(result, 3, "sync"), 0) << result.dump();

  Delivery copy = receive_envelopes(*online_copy, 1, Ack::kEach);
  ASSERT_EQ(copy.problem, "");
  EXPECT_EQ(without_request_flag(copy.envelopes[0]),
            expected_envelope(alice, request, result, 3, "sync"));
  const auto offline_copy = log_in_and_drain(d, *alice2);
  ASSERT_EQ(offline_copy.size(), 1u);
  EXPECT_EQ(without_request_flag(offline_copy[0]),
            expected_envelope(alice, request, result, 2, "sync"));
  Delivery to_bob = receive_envelopes(*recipient, 1, Ack::kEach);
  ASSERT_EQ(to_bob.problem, "");
  EXPECT_EQ(without_request_flag(to_bob.envelopes[0]),
            expected_envelope(alice, request, result, 1));
  EXPECT_EQ(receive_for(*sender).envelopes, std::vector<json>()) << "a copy to the sending device";

  // Without "sync", no copies, and no "sync" in the result.
  const json unsynced = send_request("@bob", random_ciphertexts({1}));
  const json unsynced_result = accepted(*sender, unsynced);
  EXPECT_FALSE(unsynced_result.contains("sync")) << unsynced_result.dump();
  EXPECT_EQ(receive_envelopes(*recipient, 1, Ack::kEach).problem, "");
  EXPECT_EQ(receive_for(*online_copy).envelopes, std::vector<json>());
  // An account with one device syncs with an empty list, and gets an empty one back.
  const json from_bob = send_request("@alice", random_ciphertexts({1, 2, 3}), Ciphertexts{});
  const json from_bob_result = accepted(*recipient, from_bob);
  EXPECT_EQ(from_bob_result.value("sync", json()), json::array()) << from_bob_result.dump();
}

TEST(Messaging, EphemeralEnvelopesReachOnlyOnlineDevicesAndAreNeverStored) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  auto online = register_and_log_in(d, bob);
  ASSERT_NE(online, nullptr);
  const auto bob2 = add_device(*online, bob, 2);
  ASSERT_TRUE(bob2.has_value());
  ASSERT_EQ(receive_until_queue_empty(*online, Ack::kNone).problem, "");

  const Ciphertexts ciphertexts = random_ciphertexts({1, 2}, 64);
  json request = send_request("@bob", ciphertexts);
  request["ephemeral"] = true;
  const json result = accepted(*sender, request);
  ASSERT_FALSE(result.is_null());
  const json timestamp = result.value("timestamp", json());
  EXPECT_EQ(result, json({{"message_id", request["message_id"]}, {"timestamp", timestamp}}))
      << "an ephemeral send's result has no seqs";
  EXPECT_TRUE(plausible_timestamp(timestamp)) << result.dump();

  Delivery got = receive_envelopes(*online, 1, Ack::kNone);
  ASSERT_EQ(got.problem, "");
  EXPECT_EQ(without_request_flag(got.envelopes[0]), expected_envelope(alice, request, result, 1));

  // Never stored: not in the database, its WAL or anywhere else on disk...
  EXPECT_EQ(sql_integer(d, "SELECT count(*) FROM envelopes"), 0);
  for (const auto& [device, ciphertext] : ciphertexts) {
    EXPECT_EQ(files_containing(d.dir(), ciphertext), std::vector<std::string>())
        << "device " << device << "'s ephemeral ciphertext";
  }
  // ...so the device that was offline never gets it, nor the online one again.
  EXPECT_EQ(log_in_and_drain(d, *bob2), std::vector<json>());
  online.reset();
  EXPECT_EQ(log_in_and_drain(d, bob), std::vector<json>());
}

TEST(Messaging, CiphertextOverTheLimitIsTooLargeAndNothingIsStored) {
  Daemon d(
      Overrides{{"limits.max_envelope_bytes", "100"}, {"limits.max_devices_per_account", "3"}});
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  std::optional<TestUser> bob2;
  {
    auto c = register_and_log_in(d, bob);
    ASSERT_NE(c, nullptr);
    bob2 = add_device(*c, bob, 2);
    ASSERT_TRUE(bob2.has_value());
  }
  auto reply = sender->request(
      send_request("@bob", Ciphertexts{{1, random_bytes(100)}, {2, random_bytes(101)}}));
  EXPECT_EQ(error_code(reply), "too_large") << reply.dump();
  // More entries than an account may have devices: too large before any list comparison.
  reply = sender->request(send_request("@bob", random_ciphertexts({1, 2, 3, 4})));
  EXPECT_EQ(error_code(reply), "too_large") << reply.dump();

  // At the limit it goes through; the refused ones left nothing behind.
  const json request = send_request("@bob", random_ciphertexts({1, 2}, 100));
  const json result = accepted(*sender, request);
  for (const TestUser& device : {bob, *bob2}) {
    const auto received = log_in_and_drain(d, device);
    ASSERT_EQ(received.size(), 1u) << "device " << device.device_id;
    EXPECT_EQ(without_request_flag(received[0]),
              expected_envelope(alice, request, result, device.device_id));
  }
}

TEST(Messaging, SendsOverThePerMinuteBudgetAreRateLimitedAndNotStored) {
  Daemon d(Overrides{{"limits.sends_per_account_per_minute", "3"}});
  TestUser alice("@alice");
  TestUser bob("@bob");
  TestUser carol("@carol");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  auto other_sender = register_and_log_in(d, carol);
  ASSERT_NE(other_sender, nullptr);
  ASSERT_TRUE(register_offline(d, bob));

  const json first = send_request("@bob", random_ciphertexts({1}));
  json ephemeral = send_request("@bob", random_ciphertexts({1}));
  ephemeral["ephemeral"] = true;
  const json third = send_request("@bob", random_ciphertexts({1}));
  const json first_result = accepted(*sender, first);
  accepted(*sender, ephemeral);  // counts against the budget too
  const json third_result = accepted(*sender, third);
  auto reply = sender->request(send_request("@bob", random_ciphertexts({1})));
  EXPECT_EQ(error_code(reply), "rate_limited") << reply.dump();
  // The budget is the account's, whatever the connection; another account has its own.
  sender = log_in_on_new_connection(d, alice);
  ASSERT_NE(sender, nullptr);
  reply = sender->request(send_request("@bob", random_ciphertexts({1})));
  EXPECT_EQ(error_code(reply), "rate_limited") << reply.dump();
  const json from_carol = send_request("@bob", random_ciphertexts({1}));
  const json from_carol_result = accepted(*other_sender, from_carol);

  const auto received = log_in_and_drain(d, bob);
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(without_request_flag(received[0]), expected_envelope(alice, first, first_result, 1));
  EXPECT_EQ(without_request_flag(received[1]), expected_envelope(alice, third, third_result, 1));
  EXPECT_EQ(without_request_flag(received[2]),
            expected_envelope(carol, from_carol, from_carol_result, 1));
}

TEST(Messaging, FullDeviceQueueIsQueueFullAndNothingIsStored) {
  Daemon d(Overrides{{"limits.max_queued_envelopes_per_device", "3"}});
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  std::optional<TestUser> bob2;
  {
    auto c = register_and_log_in(d, bob);
    ASSERT_NE(c, nullptr);
    bob2 = add_device(*c, bob, 2);
    ASSERT_TRUE(bob2.has_value());
  }
  std::vector<json> requests;
  std::vector<json> results;
  for (int i = 0; i < 3; ++i) {
    requests.push_back(send_request("@bob", random_ciphertexts({1, 2})));
    results.push_back(accepted(*sender, requests.back()));
  }
  // Device 2 empties its queue; device 1's stays full.
  EXPECT_EQ(log_in_and_drain(d, *bob2).size(), 3u);

  const json fourth = send_request("@bob", random_ciphertexts({1, 2}));
  auto reply = sender->request(fourth);
  EXPECT_EQ(error_code(reply), "queue_full") << reply.dump();
  // Nothing of it was stored, not even for device 2, which had room.
  EXPECT_EQ(log_in_and_drain(d, *bob2), std::vector<json>());
  auto bob1 = log_in_on_new_connection(d, bob);
  ASSERT_NE(bob1, nullptr);
  Delivery backlog = receive_until_queue_empty(*bob1, Ack::kEach);
  ASSERT_EQ(backlog.problem, "");
  ASSERT_EQ(backlog.envelopes.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(without_request_flag(backlog.envelopes[i]),
              expected_envelope(alice, requests[i], results[i], 1))
        << "envelope " << i;
  }

  // With room again the same send is accepted: a refused send is not remembered.
  const json result = accepted(*sender, fourth);
  ASSERT_FALSE(result.is_null());
  Delivery now = receive_envelopes(*bob1, 1, Ack::kEach);
  ASSERT_EQ(now.problem, "");
  EXPECT_EQ(without_request_flag(now.envelopes[0]), expected_envelope(alice, fourth, result, 1));
  const auto to_bob2 = log_in_and_drain(d, *bob2);
  ASSERT_EQ(to_bob2.size(), 1u);
  EXPECT_EQ(without_request_flag(to_bob2[0]), expected_envelope(alice, fourth, result, 2));
}

// Stores `count` envelopes for bob, stops the daemon with `signo` once every send has been
// answered, restarts it, and checks that bob receives them all, in order, and that a retry
// and a new send behave as before the restart.
void expect_queue_survives_a_restart(int signo, int count) {
  Daemon d(kManySends);
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(register_offline(d, bob));
  std::vector<json> requests;
  for (int i = 0; i < count; ++i) {
    requests.push_back(send_request("@bob", random_ciphertexts({1})));
  }
  std::vector<json> results = send_all(*sender, requests);
  ASSERT_FALSE(::testing::Test::HasFailure());
  sender.reset();
  const int status = d.stop(signo);
  ASSERT_EQ(status, signo == SIGKILL ? 128 + SIGKILL : 0) << d.log();
  d.start();

  sender = log_in_on_new_connection(d, alice);
  ASSERT_NE(sender, nullptr);
  auto reply = sender->request(requests.front());
  EXPECT_EQ(reply.value("result", json()), results.front()) << "a retry after the restart";
  // Seqs are never reused: a new send's is above every earlier one.
  requests.push_back(send_request("@bob", random_ciphertexts({1})));
  results.push_back(accepted(*sender, requests.back()));
  auto order = by_seq(results, 1);
  EXPECT_EQ(order.rbegin()->second, requests.size() - 1) << "the new send's seq is not the highest";

  auto recipient = log_in_on_new_connection(d, bob);
  ASSERT_NE(recipient, nullptr);
  Delivery got = receive_until_queue_empty(*recipient, Ack::kEach);
  ASSERT_EQ(got.problem, "");
  expect_in_seq_order(got.envelopes, alice, requests, results, order);
}

TEST(Messaging, RestartBetweenSendAndDeliveryLosesNothing) {
  expect_queue_survives_a_restart(SIGTERM, 200);
}

TEST(Messaging, KillNineAfterTheRepliesLosesNothing) {
  expect_queue_survives_a_restart(SIGKILL, 200);
}

TEST(Messaging, SecondConnectionOfADeviceClosesTheFirstWith4409AndGetsTheUndelivered) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  auto first = register_and_log_in(d, bob);
  ASSERT_NE(first, nullptr);
  for (int i = 0; i < 3; ++i) accepted(*sender, send_request("@bob", random_ciphertexts({1})));
  Delivery unacknowledged = receive_envelopes(*first, 3, Ack::kNone);
  ASSERT_EQ(unacknowledged.problem, "");

  auto second = log_in_on_new_connection(d, bob);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(first->wait_close(5s), 4409);
  Delivery got = receive_until_queue_empty(*second, Ack::kEach);
  ASSERT_EQ(got.problem, "");
  EXPECT_EQ(got.envelopes, unacknowledged.envelopes);

  // What is sent from now on goes to the new connection.
  const json request = send_request("@bob", random_ciphertexts({1}));
  const json result = accepted(*sender, request);
  Delivery next = receive_envelopes(*second, 1, Ack::kEach);
  ASSERT_EQ(next.problem, "");
  EXPECT_EQ(without_request_flag(next.envelopes[0]), expected_envelope(alice, request, result, 1));
}

TEST(Messaging, DiskHoldsTheCiphertextButNeverThePlaintext) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(register_offline(d, bob));

  // Alice seals a plaintext with a key only she and Bob hold (a real client derives it with
  // X3DH); the server only ever sees nonce || secretbox(plaintext).
  const std::string plaintext =
      "plaintext canary " + base64_encode(random_bytes(24)) + " the server must never see";
  const std::string key = random_bytes(crypto_secretbox_KEYBYTES);
  const std::string nonce = random_bytes(crypto_secretbox_NONCEBYTES);
  std::string sealed(crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  crypto_secretbox_easy(reinterpret_cast<unsigned char*>(sealed.data()),
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        reinterpret_cast<const unsigned char*>(nonce.data()),
                        reinterpret_cast<const unsigned char*>(key.data()));
  const std::string ciphertext = nonce + sealed;
  ASSERT_FALSE(accepted(*sender, send_request("@bob", Ciphertexts{{1, ciphertext}})).is_null());

  // Queued: the ciphertext is in the database or its WAL, so the scan finds what is there...
  EXPECT_NE(files_containing(d.data_dir(), ciphertext), std::vector<std::string>())
      << "the queued ciphertext is in no file of " << d.data_dir() << ": the scan proves nothing";
  // ...and nowhere (database, WAL, log, anything in the daemon's directory) the plaintext.
  EXPECT_EQ(files_containing(d.dir(), plaintext), std::vector<std::string>());

  const auto received = log_in_and_drain(d, bob);
  ASSERT_EQ(received.size(), 1u);
  const auto delivered = base64_decode(received[0].value("ciphertext", ""));
  ASSERT_EQ(delivered, ciphertext);
  std::string opened(plaintext.size(), '\0');
  ASSERT_EQ(crypto_secretbox_open_easy(
                reinterpret_cast<unsigned char*>(opened.data()),
                reinterpret_cast<const unsigned char*>(delivered->data()) + nonce.size(),
                delivered->size() - nonce.size(),
                reinterpret_cast<const unsigned char*>(delivered->data()),
                reinterpret_cast<const unsigned char*>(key.data())),
            0);
  EXPECT_EQ(opened, plaintext);

  // After delivery and a shutdown (which checkpoints the WAL) still no trace of it.
  sender.reset();
  EXPECT_EQ(d.stop(SIGTERM), 0);
  EXPECT_EQ(files_containing(d.dir(), plaintext), std::vector<std::string>());
}

TEST(Messaging, EnvelopesOlderThanTheRetentionLimitAreDeleted) {
  Daemon d;  // messages.max_retention_days = 30
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(register_offline(d, bob));
  const json old1 = accepted(*sender, send_request("@bob", random_ciphertexts({1})));
  const json old2 = accepted(*sender, send_request("@bob", random_ciphertexts({1})));
  const json recent_request = send_request("@bob", random_ciphertexts({1}));
  const json recent = accepted(*sender, recent_request);
  sender.reset();
  ASSERT_EQ(d.stop(SIGTERM), 0);

  // The first two were accepted 31 days ago, as far as the database knows.
  const std::int64_t days_31_ms = std::int64_t{31} * 24 * 3600 * 1000;
  EXPECT_EQ(sql_execute(d, "UPDATE envelopes SET accepted_at = accepted_at - " +
                               std::to_string(days_31_ms) + " WHERE seq IN (" +
                               std::to_string(result_seq(old1, 1)) + ", " +
                               std::to_string(result_seq(old2, 1)) + ")"),
            2);
  d.start();
  const auto received = log_in_and_drain(d, bob);
  ASSERT_EQ(received.size(), 1u) << "expired envelopes were delivered";
  EXPECT_EQ(without_request_flag(received[0]), expected_envelope(alice, recent_request, recent, 1));
}

TEST(Messaging, AckOfAnotherDevicesEnvelopeDeletesNothing) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  std::optional<TestUser> bob2;
  {
    auto c = register_and_log_in(d, bob);
    ASSERT_NE(c, nullptr);
    bob2 = add_device(*c, bob, 2);
    ASSERT_TRUE(bob2.has_value());
  }
  const json request = send_request("@bob", random_ciphertexts({1, 2}));
  const json result = accepted(*sender, request);
  const std::int64_t seq1 = result_seq(result, 1);
  const std::int64_t seq2 = result_seq(result, 2);

  // Bob's other device, and the sender, cannot delete device 1's envelope.
  auto other_device = log_in_on_new_connection(d, *bob2);
  ASSERT_NE(other_device, nullptr);
  auto reply = ack(*other_device, {seq1});
  EXPECT_EQ(reply.value("result", json()), json({{"acked", 0}})) << reply.dump();
  reply = ack(*sender, {seq1, seq2});
  EXPECT_EQ(reply.value("result", json()), json({{"acked", 0}})) << reply.dump();
  reply = ack(*other_device, {seq1, seq2});
  EXPECT_EQ(reply.value("result", json()), json({{"acked", 1}})) << reply.dump();

  const auto received = log_in_and_drain(d, bob);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(without_request_flag(received[0]), expected_envelope(alice, request, result, 1));
}

TEST(Messaging, MalformedSendsAndAcksAreRefusedAndStoreNothing) {
  Daemon d;
  TestUser alice("@Alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(register_offline(d, bob));

  const json base = send_request("@bob", random_ciphertexts({1}));
  const std::string ciphertext = base["envelopes"][0]["ciphertext"];
  std::vector<std::tuple<std::string, json, std::string>> cases;
  auto with = [&](const std::string& what, const std::string& field, json value,
                  const std::string& code = "bad_request") {
    json request = base;
    request["message_id"] = base64_encode(random_bytes(16));
    if (value.is_null()) {
      request.erase(field);
    } else {
      request[field] = std::move(value);
    }
    cases.emplace_back(what, request, code);
  };
  with("to oneself", "to", "@ALICE");
  with("no to", "to", nullptr);
  with("a malformed handle", "to", "bob", "invalid_handle");
  with("an unknown handle", "to", "@nobody", "not_found");
  with("no message_id", "message_id", nullptr);
  with("a 15-byte message_id", "message_id", base64_encode(random_bytes(15)));
  with("a 17-byte message_id", "message_id", base64_encode(random_bytes(17)));
  with("a message_id that is not base64", "message_id", "not base64!");
  with("no envelopes", "envelopes", nullptr);
  with("envelopes not an array", "envelopes", "x");
  with("a device twice", "envelopes",
       json::array({{{"device_id", 1}, {"ciphertext", ciphertext}},
                    {{"device_id", 1}, {"ciphertext", ciphertext}}}));
  with("device id 0", "envelopes", json::array({{{"device_id", 0}, {"ciphertext", ciphertext}}}));
  with("no ciphertext", "envelopes", json::array({{{"device_id", 1}}}));
  with("an empty ciphertext", "envelopes", json::array({{{"device_id", 1}, {"ciphertext", ""}}}));
  with("a ciphertext that is not base64", "envelopes",
       json::array({{{"device_id", 1}, {"ciphertext", "not base64!"}}}));
  with("sync not an array", "sync", 7);
  with("ephemeral not a boolean", "ephemeral", "yes");
  for (const auto& [what, request, code] : cases) {
    const auto reply = sender->request(request);
    EXPECT_EQ(error_code(reply), code) << what << ": " << reply.dump();
  }

  std::vector<std::int64_t> too_many(1025);
  std::iota(too_many.begin(), too_many.end(), 1);
  for (const auto& [what, request] : std::vector<std::pair<std::string, json>>{
           {"no seqs", {{"type", "ack"}}},
           {"seqs not an array", {{"type", "ack"}, {"seqs", 5}}},
           {"an empty seqs", {{"type", "ack"}, {"seqs", json::array()}}},
           {"seq 0", {{"type", "ack"}, {"seqs", json::array({0})}}},
           {"a seq that is not an integer", {{"type", "ack"}, {"seqs", json::array({"1"})}}},
       }) {
    const auto reply = sender->request(request);
    EXPECT_EQ(error_code(reply), "bad_request") << what << ": " << reply.dump();
  }
  auto reply = ack(*sender, too_many);
  EXPECT_TRUE(error_code(reply) == "bad_request" || error_code(reply) == "too_large")
      << "1025 seqs: " << reply.dump();
  too_many.pop_back();
  reply = ack(*sender, too_many);
  EXPECT_EQ(reply.value("result", json()), json({{"acked", 0}})) << "1024 seqs: " << reply.dump();

  EXPECT_TRUE(pings(*sender));
  EXPECT_EQ(log_in_and_drain(d, bob), std::vector<json>());
}

TEST(Messaging, SendNeedsALoginAndASubscriptionWhenRequiredButAckOnlyALogin) {
  Daemon d(Overrides{{"access.require_subscription", "true"}});
  TestUser alice("@alice");
  TestUser bob("@bob");
  ASSERT_TRUE(register_offline(d, bob));
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(register_user(*c, alice).contains("result"));
  const json request = send_request("@bob", random_ciphertexts({1}));
  EXPECT_EQ(error_code(c->request(request)), "unauthenticated");
  EXPECT_EQ(error_code(ack(*c, {1})), "unauthenticated");

  ASSERT_TRUE(login(*c, alice).contains("result"));
  auto reply = c->request(request);
  EXPECT_EQ(error_code(reply), "subscription_required") << reply.dump();
  reply = ack(*c, {1});
  EXPECT_EQ(reply.value("result", json()), json({{"acked", 0}})) << reply.dump();

  ASSERT_EQ(d.admin({"subscription", "grant", "@alice", "--days", "30"}), 0);
  c = log_in_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  const json result = accepted(*c, request);
  const auto received = log_in_and_drain(d, bob);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(without_request_flag(received[0]), expected_envelope(alice, request, result, 1));
}

TEST(Messaging, ARetryIsAnsweredAsFirstEvenAfterTheRecipientClosedTheirDoor) {
  // The first attempt was accepted and will be delivered: whatever changed since (a
  // contacts-only setting, a spent budget), the retry must say so, not refuse.
  Daemon d(Overrides{{"limits.sends_per_account_per_minute", "1"}});
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  auto recipient = register_and_log_in(d, bob);
  ASSERT_NE(recipient, nullptr);
  const json request = send_request("@bob", random_ciphertexts({1}));
  const json first = accepted(*sender, request);
  ASSERT_FALSE(first.is_null());
  auto reply = recipient->request({{"type", "privacy.set"}, {"who_can_message", "contacts"}});
  ASSERT_TRUE(reply.contains("result")) << reply.dump();

  reply = sender->request(request);
  EXPECT_EQ(reply.value("result", json()), first) << reply.dump();
  // A new message is refused, for the budget is spent.
  reply = sender->request(send_request("@bob", random_ciphertexts({1})));
  EXPECT_EQ(error_code(reply), "rate_limited") << reply.dump();
}

TEST(Messaging, SuspendedRecipientIsNotFound) {
  Daemon d;
  TestUser alice("@alice");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  ASSERT_TRUE(register_offline(d, TestUser("@bob")));
  ASSERT_EQ(d.admin({"account", "suspend", "@bob"}), 0);
  auto reply = sender->request(send_request("@bob", random_ciphertexts({1})));
  EXPECT_EQ(error_code(reply), "not_found") << reply.dump();
  EXPECT_FALSE(reply["error"].contains("devices")) << reply.dump();
}

}  // namespace
}  // namespace xchat::testing
