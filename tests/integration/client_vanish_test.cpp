// Vanishing messages, unsend and edit through the client library, against a real xchatd.
// Each Messenger reads a clock the test can move forward, so what vanishes on a device
// vanishes without the test sleeping; only the server's own expiry is waited for.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <thread>

#include "integration/support/daemon.hpp"
#include "integration/support/messaging.hpp"
#include "integration/support/messengers.hpp"
#include "messenger/messenger.hpp"

namespace xchat::testing {
namespace {

using client::Event;
using client::Messenger;

// Timers down to 1 s, so that the server's expiry is quick to wait for.
const Overrides kShortTimers = {{"messages.min_expires_in_seconds", "1"}};

class ClientVanishTest : public ::testing::Test {
 protected:
  void SetUp() override { start(kShortTimers); }

  // Stops the daemon there is, if any, and starts one with `overrides`, for accounts made
  // from here on.
  void start(const Overrides& overrides) {
    messengers_.reset();
    daemon_.reset();
    daemon_ = std::make_unique<Daemon>(overrides);
    // Receiving until an event is bounded at about 5 s.
    messengers_.emplace(
        *daemon_, "xchat-vanish", [this] { return unix_now_ms() + skew_ms_.load(); }, 10);
  }

  // The first event of `kind` (a copy: `events` is often a temporary).
  static std::optional<Event> find(const std::vector<Event>& events, Event::Kind kind) {
    auto it =
        std::find_if(events.begin(), events.end(), [&](const Event& e) { return e.kind == kind; });
    if (it == events.end()) return std::nullopt;
    return *it;
  }

  // Waits (bounded) until the server's clock has passed `expires_at`.
  static void wait_past(std::int64_t expires_at) {
    const auto ms = std::clamp<std::int64_t>(expires_at - unix_now_ms() + 300, 0, 5000);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }

  std::atomic<std::int64_t> skew_ms_{0};  // added to every Messenger's clock
  std::unique_ptr<Daemon> daemon_;
  std::optional<Messengers> messengers_;  // of daemon_
};

TEST_F(ClientVanishTest, AMessageThatVanishesBeforeDeliveryNeverArrives) {
  auto alice = messengers_->init("alice", "@alice");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(messengers_->init("bob", "@bob"), nullptr);  // and offline from here on
  auto sent = alice->send_text("@bob", "gone before you look", 1);
  ASSERT_TRUE(sent) << sent.status().message();
  EXPECT_EQ(sent->expires_at, sent->timestamp_ms + 1000);
  ASSERT_EQ(texts(alice->history("@bob", 10)), std::vector<std::string>({"gone before you look"}));
  wait_past(sent->expires_at);
  EXPECT_TRUE(alice->history("@bob", 10).empty()) << "the sender's copy vanishes too";

  auto bob = messengers_->open("bob");
  ASSERT_NE(bob, nullptr);
  const auto events = messengers_->until(*bob, Event::Kind::kQueueEmpty);
  ASSERT_TRUE(find(events, Event::Kind::kQueueEmpty));
  EXPECT_FALSE(find(events, Event::Kind::kMessage));
  EXPECT_TRUE(bob->history("@alice", 10).empty());
}

TEST_F(ClientVanishTest, ADeliveredMessageVanishesFromTheRecipientsHistoryAtItsTime) {
  auto alice = messengers_->init("alice", "@alice");
  auto bob = messengers_->init("bob", "@bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  auto sent = alice->send_text("@bob", "read me quickly", 60);
  ASSERT_TRUE(sent) << sent.status().message();
  const auto events = messengers_->until(*bob, Event::Kind::kMessage);
  const auto message = find(events, Event::Kind::kMessage);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->expires_at, sent->timestamp_ms + 60000);
  const auto history = bob->history("@alice", 10);
  ASSERT_EQ(texts(history), std::vector<std::string>({"read me quickly"}));
  EXPECT_EQ(history[0].expires_at, sent->timestamp_ms + 60000);

  skew_ms_ = 61000;  // a minute later, on both devices
  EXPECT_TRUE(bob->history("@alice", 10).empty());
  bob->receive(std::chrono::milliseconds(0));  // the purge runs while receiving
  EXPECT_TRUE(alice->history("@bob", 10).empty());
}

TEST_F(ClientVanishTest, AConversationTimerSetByOneSideAppliesToTheOthersMessages) {
  auto alice = messengers_->init("alice", "@alice");
  auto bob = messengers_->init("bob", "@bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  ASSERT_TRUE(alice->set_timer("@bob", 3600));
  EXPECT_EQ(alice->timer("@bob"), 3600u);
  const auto events = messengers_->until(*bob, Event::Kind::kTimer);
  const auto timer = find(events, Event::Kind::kTimer);
  ASSERT_TRUE(timer);
  EXPECT_EQ(timer->peer, "@alice");
  EXPECT_EQ(timer->seconds, 3600u);
  EXPECT_EQ(bob->timer("@alice"), 3600u);

  auto reply = bob->send_text("@alice", "this one vanishes in an hour");
  ASSERT_TRUE(reply) << reply.status().message();
  EXPECT_EQ(reply->expires_at, reply->timestamp_ms + 3600 * 1000);
  const auto message =
      find(messengers_->until(*alice, Event::Kind::kMessage), Event::Kind::kMessage);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->expires_at, reply->timestamp_ms + 3600 * 1000);

  ASSERT_TRUE(bob->set_timer("@alice", 0));
  ASSERT_TRUE(find(messengers_->until(*alice, Event::Kind::kTimer), Event::Kind::kTimer));
  EXPECT_EQ(alice->timer("@bob"), 0u);
  auto plain = alice->send_text("@bob", "this one stays");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->expires_at, 0);
}

TEST_F(ClientVanishTest, UnsendAfterDeliveryRemovesItFromEveryDevice) {
  auto alice = messengers_->init("alice", "@alice");
  auto bob = messengers_->init("bob", "@bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  auto link = alice->add_device(2);
  ASSERT_TRUE(link) << link.status().message();
  auto alice2 = Messenger::link(messengers_->options("alice2"), link->package, link->code);
  ASSERT_TRUE(alice2) << alice2.status().message();

  auto sent = alice->send_text("@bob", "I should not have said that");
  ASSERT_TRUE(sent);
  ASSERT_TRUE(find(messengers_->until(*bob, Event::Kind::kMessage), Event::Kind::kMessage));
  ASSERT_TRUE(find(messengers_->until(**alice2, Event::Kind::kMessage), Event::Kind::kMessage));
  ASSERT_EQ(texts((*alice2)->history("@bob", 10)),
            std::vector<std::string>({"I should not have said that"}));

  // Bob cannot unsend Alice's message; Alice can.
  auto refused = bob->unsend("@alice", sent->message_id);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotAllowed);
  ASSERT_TRUE(alice->unsend("@bob", sent->message_id));
  EXPECT_TRUE(alice->history("@bob", 10).empty());
  const auto unsent = find(messengers_->until(*bob, Event::Kind::kUnsent), Event::Kind::kUnsent);
  ASSERT_TRUE(unsent);
  EXPECT_EQ(unsent->message_id, sent->message_id);
  EXPECT_TRUE(bob->history("@alice", 10).empty());
  const auto synced =
      find(messengers_->until(**alice2, Event::Kind::kUnsent), Event::Kind::kUnsent);
  ASSERT_TRUE(synced);
  EXPECT_TRUE(synced->from_me);
  EXPECT_TRUE((*alice2)->history("@bob", 10).empty());
}

TEST_F(ClientVanishTest, UnsendBeforeDeliveryLeavesTheRecipientNothing) {
  auto alice = messengers_->init("alice", "@alice");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(messengers_->init("bob", "@bob"), nullptr);  // offline
  auto sent = alice->send_text("@bob", "never mind");
  ASSERT_TRUE(sent);
  ASSERT_TRUE(alice->unsend("@bob", sent->message_id));

  auto bob = messengers_->open("bob");
  ASSERT_NE(bob, nullptr);
  const auto events = messengers_->until(*bob, Event::Kind::kQueueEmpty);
  ASSERT_TRUE(find(events, Event::Kind::kQueueEmpty));
  EXPECT_FALSE(find(events, Event::Kind::kMessage));
  EXPECT_FALSE(find(events, Event::Kind::kUnsent));
  EXPECT_TRUE(bob->history("@alice", 10).empty());
}

TEST_F(ClientVanishTest, TheServerRefusesAnUnsendOrEditOfAMessageTheCallerDidNotSend) {
  auto alice = messengers_->init("alice", "@alice");
  auto bob = messengers_->init("bob", "@bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  ASSERT_NE(messengers_->init("carol", "@carol"), nullptr);
  // Bob has never seen Alice's message to Carol, so his client leaves it to the server.
  auto sent = alice->send_text("@carol", "for carol only");
  ASSERT_TRUE(sent);
  auto unsend = bob->unsend("@carol", sent->message_id);
  ASSERT_FALSE(unsend);
  EXPECT_EQ(unsend.status().code(), ErrorCode::kNotFound) << unsend.status().message();
  auto edit = bob->edit("@carol", sent->message_id, "forged");
  ASSERT_FALSE(edit);
  EXPECT_EQ(edit.status().code(), ErrorCode::kNotFound) << edit.status().message();
}

TEST_F(ClientVanishTest, AnEditWithinTheWindowReplacesTheTextOnTheRecipient) {
  auto alice = messengers_->init("alice", "@alice");
  auto bob = messengers_->init("bob", "@bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  auto sent = alice->send_text("@bob", "see you at 8");
  ASSERT_TRUE(sent);
  ASSERT_TRUE(find(messengers_->until(*bob, Event::Kind::kMessage), Event::Kind::kMessage));

  auto refused = bob->edit("@alice", sent->message_id, "forged by bob");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotAllowed);
  ASSERT_TRUE(alice->edit("@bob", sent->message_id, "see you at 9"));
  const auto edited = find(messengers_->until(*bob, Event::Kind::kEdited), Event::Kind::kEdited);
  ASSERT_TRUE(edited);
  EXPECT_EQ(edited->message_id, sent->message_id);
  EXPECT_EQ(edited->text, "see you at 9");
  for (auto* m : {bob.get(), alice.get()}) {
    const auto history = m->history(m == bob.get() ? "@alice" : "@bob", 10);
    ASSERT_EQ(texts(history), std::vector<std::string>({"see you at 9"}));
    EXPECT_TRUE(history[0].edited);
  }
}

TEST_F(ClientVanishTest, AnEditOfAVanishingMessageVanishesWithIt) {
  auto alice = messengers_->init("alice", "@alice");
  auto bob = messengers_->init("bob", "@bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  auto sent = alice->send_text("@bob", "typo", 120);
  ASSERT_TRUE(sent);
  ASSERT_TRUE(find(messengers_->until(*bob, Event::Kind::kMessage), Event::Kind::kMessage));
  auto edit = alice->edit("@bob", sent->message_id, "fixed");
  ASSERT_TRUE(edit) << edit.status().message();
  EXPECT_EQ(edit->expires_at, sent->expires_at);
  ASSERT_TRUE(find(messengers_->until(*bob, Event::Kind::kEdited), Event::Kind::kEdited));
  const auto history = bob->history("@alice", 10);
  ASSERT_EQ(texts(history), std::vector<std::string>({"fixed"}));
  EXPECT_EQ(history[0].expires_at, sent->expires_at);
}

TEST_F(ClientVanishTest, UnsendAndEditAfterTheirWindowsAreRefused) {
  start(Overrides{{"messages.edit_window_seconds", "1"}, {"messages.unsend_window_seconds", "1"}});
  auto alice = messengers_->init("alice", "@alice");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(messengers_->init("bob", "@bob"), nullptr);
  auto sent = alice->send_text("@bob", "too late to take back");
  ASSERT_TRUE(sent);
  wait_past(sent->timestamp_ms + 1000);
  for (auto result : {alice->edit("@bob", sent->message_id, "changed"),
                      alice->unsend("@bob", sent->message_id)}) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.status().code(), ErrorCode::kWindowClosed) << result.status().message();
  }
  EXPECT_EQ(texts(alice->history("@bob", 10)), std::vector<std::string>({"too late to take back"}));
}

}  // namespace
}  // namespace xchat::testing
