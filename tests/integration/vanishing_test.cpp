// Vanishing messages, unsend and edit as the server enforces them: a vanishing envelope is
// deleted from every queue at its expires_at, delivered or not, and never delivered after
// it, across restarts and in the middle of a drain; nothing of it stays in the database or
// WAL files; an unsend deletes the undelivered copies at once and reaches only devices
// that may have seen the message; edits inherit the original's expiry; windows hold.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "integration/support/daemon.hpp"
#include "integration/support/data_files.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/messaging.hpp"
#include "integration/support/ws_client.hpp"
#include "xchat/base64.hpp"

namespace xchat::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Timers as short as one second, so tests wait little.
const Overrides kShortTimers = {{"messages.min_expires_in_seconds", "1"}};

json accepted(WsClient& c, const json& request) {
  auto reply = c.request(request);
  EXPECT_TRUE(reply.contains("result")) << request.dump() << "\n-> " << reply.dump();
  return reply.contains("result") ? reply["result"] : json();
}

json vanishing(const std::string& to, std::int64_t seconds, std::size_t bytes = 48) {
  json request = send_request(to, random_ciphertexts({1}, bytes));
  request["expires_in"] = seconds;
  return request;
}

// A send that refers to `original` (a send request) with `field`: "edits" or "retracts".
json referring(const std::string& to, const json& original, const std::string& field) {
  json request = send_request(to, random_ciphertexts({1}));
  request[field] = original["message_id"];
  return request;
}

std::int64_t stored(const Daemon& d, std::int64_t seq) {
  return sql_integer(d, "SELECT count(*) FROM envelopes WHERE seq = " + std::to_string(seq));
}

void sleep_until_ms(std::int64_t unix_ms) {
  const std::int64_t wait = unix_ms - unix_now_ms();
  if (wait > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait));
}

class Vanishing : public ::testing::Test {
 protected:
  void start(const Overrides& extra = {}) {
    Overrides overrides = kShortTimers;
    overrides.insert(extra.begin(), extra.end());
    daemon_.emplace(overrides);
    alice_client_ = register_and_log_in(*daemon_, alice_);
    ASSERT_NE(alice_client_, nullptr);
    ASSERT_TRUE(register_offline(*daemon_, bob_));
  }

  Daemon& d() { return *daemon_; }
  WsClient& alice() { return *alice_client_; }

  std::optional<Daemon> daemon_;
  TestUser alice_{"@alice"};
  TestUser bob_{"@bob"};
  std::unique_ptr<WsClient> alice_client_;
};

TEST_F(Vanishing, ATimerOutsideTheConfiguredRangeOrOnAnEphemeralSendIsRefused) {
  start({{"messages.max_expires_in_seconds", "3600"}});
  for (const json& bad : {json(0), json(3601), json("60"), json(1.5), json(nullptr), json(-1)}) {
    json request = send_request("@bob", random_ciphertexts({1}));
    request["expires_in"] = bad;
    const auto reply = alice().request(request);
    EXPECT_EQ(error_code(reply), "bad_request") << bad.dump() << " -> " << reply.dump();
    EXPECT_NE(reply["error"].value("message", "").find("expires_in"), std::string::npos);
  }
  json ephemeral = vanishing("@bob", 60);
  ephemeral["ephemeral"] = true;
  EXPECT_EQ(error_code(alice().request(ephemeral)), "bad_request");
  EXPECT_TRUE(pings(alice()));
  EXPECT_EQ(sql_integer(d(), "SELECT count(*) FROM envelopes"), 0);

  const json ok = vanishing("@bob", 3600);
  const json result = accepted(alice(), ok);
  EXPECT_EQ(result.value("expires_at", std::int64_t{0}),
            result.value("timestamp", std::int64_t{0}) + 3600 * 1000);
}

TEST_F(Vanishing, BeforeDeliveryTheRecipientNeverReceivesIt) {
  start();
  const json request = vanishing("@bob", 1);
  const json result = accepted(alice(), request);
  const std::int64_t seq = result_seq(result, 1);
  const json kept = accepted(alice(), send_request("@bob", random_ciphertexts({1})));
  EXPECT_EQ(stored(d(), seq), 1);
  ASSERT_TRUE(eventually([&] { return stored(d(), seq) == 0; }, 5s));
  EXPECT_GE(unix_now_ms(), result["expires_at"].get<std::int64_t>());

  const auto received = log_in_and_drain(d(), bob_);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0]["seq"], result_seq(kept, 1));
  EXPECT_EQ(metric_value(d(), "xchatd_envelopes_expired_total"), 1);
}

TEST_F(Vanishing, AfterDeliveryTheQueuedCopyIsDeletedAtExpiryAndNeverComesAgain) {
  start();
  auto bob = log_in_on_new_connection(d(), bob_);
  ASSERT_NE(bob, nullptr);
  ASSERT_TRUE(receive_until_queue_empty(*bob, Ack::kEach).problem.empty());
  const json request = vanishing("@bob", 2);
  const json result = accepted(alice(), request);
  // Delivered but not acknowledged: the server still holds it.
  const auto delivery = receive_envelopes(*bob, 1, Ack::kNone, 5s);
  ASSERT_EQ(delivery.envelopes.size(), 1u) << delivery.problem;
  EXPECT_EQ(delivery.envelopes[0]["expires_at"], result["expires_at"]);
  const std::int64_t seq = result_seq(result, 1);
  EXPECT_EQ(stored(d(), seq), 1);
  ASSERT_TRUE(eventually([&] { return stored(d(), seq) == 0; }, 5s));
  bob.reset();
  EXPECT_TRUE(log_in_and_drain(d(), bob_).empty()) << "a vanished envelope was delivered again";
}

TEST_F(Vanishing, NeverDeliveredInTheMiddleOfADrain) {
  start({{"limits.max_unacked_envelopes", "4"}});
  // Ordinary envelopes with vanishing ones among them, for an offline device.
  std::vector<std::int64_t> ordinary;
  std::vector<std::int64_t> vanish;
  std::int64_t expires_at = 0;
  for (int i = 0; i < 12; ++i) {
    if (i % 3 == 2) {
      const json result = accepted(alice(), vanishing("@bob", 2));
      vanish.push_back(result_seq(result, 1));
      expires_at = std::max(expires_at, result["expires_at"].get<std::int64_t>());
    } else {
      ordinary.push_back(
          result_seq(accepted(alice(), send_request("@bob", random_ciphertexts({1}))), 1));
    }
  }
  auto bob = log_in_on_new_connection(d(), bob_);
  ASSERT_NE(bob, nullptr);
  // The first window (4 envelopes, one of them vanishing) arrives; the device sits on it
  // past the expiry before acknowledging, and the rest of the drain must skip the others.
  auto first = receive_envelopes(*bob, 4, Ack::kNone, 5s);
  ASSERT_EQ(first.envelopes.size(), 4u) << first.problem;
  sleep_until_ms(expires_at + 50);
  std::vector<std::int64_t> seqs = seqs_of(first.envelopes);
  ASSERT_EQ(error_code(bob->request({{"type", "ack"}, {"seqs", seqs}})), "");
  auto rest = receive_until_queue_empty(*bob, Ack::kEach, 10s);
  ASSERT_TRUE(rest.problem.empty()) << rest.problem;
  for (const auto& e : rest.envelopes) seqs.push_back(e["seq"].get<std::int64_t>());
  std::vector<std::int64_t> expected(ordinary);
  expected.insert(expected.begin() + 2, vanish[0]);  // the one in the first window
  EXPECT_EQ(seqs, expected);
  // The vanished ones were left out of the drain, and are deleted within a second.
  EXPECT_TRUE(
      eventually([&] { return sql_integer(d(), "SELECT count(*) FROM envelopes") == 0; }, 2s));
}

TEST_F(Vanishing, RestartDeletesOverdueBeforeListeningAndPendingTimersStillFire) {
  start();
  const json overdue = accepted(alice(), vanishing("@bob", 1));
  const json pending = accepted(alice(), vanishing("@bob", 4));
  alice_client_.reset();
  ASSERT_EQ(d().stop(SIGTERM), 0);
  sleep_until_ms(overdue["expires_at"].get<std::int64_t>() + 100);
  ASSERT_LT(unix_now_ms(), pending["expires_at"].get<std::int64_t>() - 500);
  ASSERT_EQ(stored(d(), result_seq(overdue, 1)), 1) << "deleted while the server was down";

  d().start();  // returns at READY=1: listening, and no connection accepted yet
  EXPECT_EQ(stored(d(), result_seq(overdue, 1)), 0) << "overdue envelope still stored";
  EXPECT_EQ(stored(d(), result_seq(pending, 1)), 1);
  ASSERT_TRUE(eventually([&] { return stored(d(), result_seq(pending, 1)) == 0; }, 6s));
  EXPECT_GE(unix_now_ms(), pending["expires_at"].get<std::int64_t>());
  EXPECT_TRUE(log_in_and_drain(d(), bob_).empty());
}

TEST_F(Vanishing, DeletionComesWithinOneSecondOfExpiry) {
  start();
  for (const std::int64_t seconds : {1, 2, 3}) {
    const json result = accepted(alice(), vanishing("@bob", seconds));
    const std::int64_t seq = result_seq(result, 1);
    const std::int64_t expires_at = result["expires_at"].get<std::int64_t>();
    sleep_until_ms(expires_at - 200);
    EXPECT_EQ(stored(d(), seq), 1) << "deleted early (" << seconds << " s)";
    std::int64_t gone_at = 0;
    ASSERT_TRUE(eventually(
        [&] {
          if (stored(d(), seq) != 0) return false;
          gone_at = unix_now_ms();
          return true;
        },
        3s));
    EXPECT_LE(gone_at, expires_at + 1000) << seconds << " s timer";
  }
}

TEST_F(Vanishing, NoCiphertextBytesStayInTheDatabaseOrWalAfterExpiry) {
  start();
  json request = vanishing("@bob", 1, 6000);
  const std::string ciphertext =
      *base64_decode(request["envelopes"][0]["ciphertext"].get<std::string>());
  const json result = accepted(alice(), request);
  // Any 64 bytes of it would betray it; look for three slices.
  const std::vector<std::string> slices = {ciphertext.substr(0, 64), ciphertext.substr(3000, 64),
                                           ciphertext.substr(5936, 64)};
  for (const auto& slice : slices) {
    EXPECT_FALSE(files_containing(d().data_dir(), slice).empty()) << "the test cannot see it";
  }
  ASSERT_TRUE(eventually([&] { return stored(d(), result_seq(result, 1)) == 0; }, 5s));
  for (const auto& slice : slices) {
    EXPECT_TRUE(eventually([&] { return files_containing(d().data_dir(), slice).empty(); }, 5s))
        << "still in: " << files_containing(d().data_dir(), slice).front();
  }
  EXPECT_GE(metric_value(d(), "xchatd_wal_checkpoints_total"), 1);
}

TEST_F(Vanishing, RetentionDeletesOldUndeliveredEnvelopesWhileRunning) {
  start();
  const json old = accepted(alice(), send_request("@bob", random_ciphertexts({1})));
  const json recent = accepted(alice(), send_request("@bob", random_ciphertexts({1})));
  const std::int64_t days_31_ms = std::int64_t{31} * 24 * 3600 * 1000;
  std::string age = "UPDATE envelopes SET accepted_at = accepted_at - ";
  age += std::to_string(days_31_ms);
  age += " WHERE seq = ";
  age += std::to_string(result_seq(old, 1));
  ASSERT_EQ(sql_execute(d(), age), 1);
  // A reload re-reads every deadline at once (else the scheduler notices within 30 s).
  d().signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return stored(d(), result_seq(old, 1)) == 0; }, 5s));
  EXPECT_EQ(stored(d(), result_seq(recent, 1)), 1);
}

TEST_F(Vanishing, UnsendBeforeDeliveryLeavesTheRecipientNothing) {
  start();
  const json original = send_request("@bob", random_ciphertexts({1}, 3000));
  const json first = accepted(alice(), original);
  const json unsend = accepted(alice(), referring("@bob", original, "retracts"));
  EXPECT_EQ(stored(d(), result_seq(first, 1)), 0);
  EXPECT_EQ(stored(d(), result_seq(unsend, 1)), 0)
      << "the unsend reached a device that never saw it";
  EXPECT_TRUE(log_in_and_drain(d(), bob_).empty());
  EXPECT_EQ(metric_value(d(), "xchatd_envelopes_unsent_total"), 1);
  const std::string ciphertext =
      *base64_decode(original["envelopes"][0]["ciphertext"].get<std::string>());
  EXPECT_TRUE(eventually(
      [&] { return files_containing(d().data_dir(), ciphertext.substr(100, 64)).empty(); }, 5s));

  // Unsent twice, or edited after: it is gone.
  EXPECT_EQ(error_code(alice().request(referring("@bob", original, "retracts"))), "not_found");
  EXPECT_EQ(error_code(alice().request(referring("@bob", original, "edits"))), "not_found");
}

TEST_F(Vanishing, UnsendAfterDeliveryRelaysTheRetractionToDevicesThatHadIt) {
  start();
  auto bob = log_in_on_new_connection(d(), bob_);
  ASSERT_NE(bob, nullptr);
  ASSERT_TRUE(receive_until_queue_empty(*bob, Ack::kEach).problem.empty());
  const json acked = send_request("@bob", random_ciphertexts({1}));
  accepted(alice(), acked);
  ASSERT_EQ(receive_envelopes(*bob, 1, Ack::kEach, 5s).envelopes.size(), 1u);
  const json unacked = send_request("@bob", random_ciphertexts({1}));
  const json unacked_result = accepted(alice(), unacked);
  ASSERT_EQ(receive_envelopes(*bob, 1, Ack::kNone, 5s).envelopes.size(), 1u);

  for (const json* original : {&acked, &unacked}) {
    const json request = referring("@bob", *original, "retracts");
    const json result = accepted(alice(), request);
    auto got = receive_envelopes(*bob, 1, Ack::kEach, 5s);
    ASSERT_EQ(got.envelopes.size(), 1u) << got.problem;
    EXPECT_EQ(got.envelopes[0]["retracts"], (*original)["message_id"]);
    EXPECT_EQ(got.envelopes[0]["message_id"], request["message_id"]);
    EXPECT_EQ(got.envelopes[0]["ciphertext"], request["envelopes"][0]["ciphertext"]);
    EXPECT_FALSE(got.envelopes[0].contains("edits"));
  }
  // The copy on the wire was taken out of the queue.
  EXPECT_EQ(stored(d(), result_seq(unacked_result, 1)), 0);
}

TEST_F(Vanishing, OnlyTheSenderCanUnsendOrEdit) {
  start();
  TestUser carol("@carol");
  auto carol_client = register_and_log_in(d(), carol);
  ASSERT_NE(carol_client, nullptr);
  const json original = send_request("@bob", random_ciphertexts({1}));
  const json first = accepted(alice(), original);
  // Carol names Alice's message: she sent no such message.
  for (const char* field : {"retracts", "edits"}) {
    EXPECT_EQ(error_code(carol_client->request(referring("@bob", original, field))), "not_found");
  }
  // Bob, the recipient, cannot either (to Alice, the only way he could address it).
  auto bob = log_in_on_new_connection(d(), bob_);
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(error_code(bob->request(referring("@alice", original, "retracts"))), "not_found");
  EXPECT_EQ(stored(d(), result_seq(first, 1)), 1);
  // Alice's own, to someone else than the original went to: refused.
  EXPECT_EQ(error_code(alice().request(referring("@carol", original, "retracts"))), "bad_request");
  EXPECT_EQ(stored(d(), result_seq(first, 1)), 1);
}

TEST_F(Vanishing, WindowsClose) {
  start({{"messages.unsend_window_seconds", "1"}, {"messages.edit_window_seconds", "2"}});
  const json original = send_request("@bob", random_ciphertexts({1}));
  const json first = accepted(alice(), original);
  sleep_until_ms(first["timestamp"].get<std::int64_t>() + 1100);
  const auto late_unsend = alice().request(referring("@bob", original, "retracts"));
  EXPECT_EQ(error_code(late_unsend), "window_closed") << late_unsend.dump();
  accepted(alice(), referring("@bob", original, "edits"));  // within its 2 s
  sleep_until_ms(first["timestamp"].get<std::int64_t>() + 2100);
  EXPECT_EQ(error_code(alice().request(referring("@bob", original, "edits"))), "window_closed");
  EXPECT_EQ(stored(d(), result_seq(first, 1)), 1) << "a refused unsend deleted the message";
  EXPECT_EQ(sql_integer(d(), "SELECT count(*) FROM envelopes"), 2);  // original + one edit
}

TEST_F(Vanishing, AnEditIsRelayedWithTheOriginalsExpiry) {
  start();
  const json original = vanishing("@bob", 30);
  const json first = accepted(alice(), original);
  const json edit = referring("@bob", original, "edits");
  const json edited = accepted(alice(), edit);
  EXPECT_EQ(edited["expires_at"], first["expires_at"]);

  // An edit carries no timer of its own, and names an original message only.
  json timed_edit = referring("@bob", original, "edits");
  timed_edit["expires_in"] = 60;
  EXPECT_EQ(error_code(alice().request(timed_edit)), "bad_request");
  EXPECT_EQ(error_code(alice().request(referring("@bob", edit, "edits"))), "bad_request");
  json both = referring("@bob", original, "edits");
  both["retracts"] = original["message_id"];
  EXPECT_EQ(error_code(alice().request(both)), "bad_request");
  json malformed = send_request("@bob", random_ciphertexts({1}));
  malformed["edits"] = "not base64!";
  EXPECT_EQ(error_code(alice().request(malformed)), "bad_request");

  const auto received = log_in_and_drain(d(), bob_);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[1]["edits"], original["message_id"]);
  EXPECT_EQ(received[1]["expires_at"], first["expires_at"]);
  EXPECT_EQ(received[1]["ciphertext"], edit["envelopes"][0]["ciphertext"]);

  // Unsending the original takes its undelivered edits with it.
  const json edit2 = referring("@bob", original, "edits");
  const json edit2_result = accepted(alice(), edit2);
  accepted(alice(), referring("@bob", original, "retracts"));
  EXPECT_EQ(stored(d(), result_seq(edit2_result, 1)), 0);
}

}  // namespace
}  // namespace xchat::testing
