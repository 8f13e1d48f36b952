// Vanishing messages, unsend and edit through the xchat command line, against a real xchatd.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "integration/support/xchat_cli.hpp"

namespace xchat::testing {
namespace {

class CliVanishTest : public CliFixture {
 protected:
  CliVanishTest() : CliFixture({{"messages.min_expires_in_seconds", "1"}}) {}

  // Alice sends `text` to Bob (with `options` before the handle); returns the JSON result.
  nlohmann::json send(const std::vector<std::string>& options, const std::string& text) {
    std::vector<std::string> args = {"--json", "send"};
    args.insert(args.end(), options.begin(), options.end());
    args.insert(args.end(), {"@bob", text});
    const CliRun sent = xchat("alice", args);
    EXPECT_EQ(sent.exit_code, 0) << sent.output;
    return sent.objects().empty() ? nlohmann::json::object() : sent.objects().back();
  }
};

TEST_F(CliVanishTest, AVanishingMessageShowsItsTimeLeftAndThenIsGone) {
  init("alice", "@alice");
  init("bob", "@bob");
  // Long enough that the listen below comes first even in the slower sanitizer build.
  const CliRun sent = xchat("alice", {"send", "--vanish", "8s", "@bob", "brief", "note"});
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  EXPECT_NE(sent.output.find("vanishes in"), std::string::npos) << sent.output;

  const CliRun bob = listen("bob", 1);
  ASSERT_EQ(bob.messages(), std::vector<std::string>({"brief note"})) << bob.output;
  const auto expires_at = bob.events("message").at(0).value("expires_at", std::int64_t{0});
  ASSERT_NE(expires_at, 0) << bob.output;
  const CliRun history = xchat("bob", {"history", "@alice"});
  EXPECT_NE(history.output.find("@alice: brief note  (vanishes in "), std::string::npos)
      << history.output;

  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::this_thread::sleep_for(
      std::chrono::milliseconds(std::clamp<std::int64_t>(expires_at - now + 200, 0, 9000)));
  for (const char* home : {"alice", "bob"}) {
    const CliRun after = xchat(home, {"--json", "history", home[0] == 'a' ? "@bob" : "@alice"});
    EXPECT_EQ(after.exit_code, 0) << after.output;
    EXPECT_TRUE(after.objects().empty()) << home << ": " << after.output;
  }
}

TEST_F(CliVanishTest, AConversationTimerIsSharedAndShownOnBothSides) {
  init("alice", "@alice");
  init("bob", "@bob");
  const CliRun set = xchat("alice", {"timer", "@bob", "1h"});
  ASSERT_EQ(set.exit_code, 0) << set.output;
  EXPECT_NE(set.output.find("vanishing messages with @bob: 1h"), std::string::npos) << set.output;

  const CliRun seen = xchat("bob", {"listen", "--seconds", "1"});
  EXPECT_NE(seen.output.find("@alice set vanishing messages to 1h"), std::string::npos)
      << seen.output;
  EXPECT_NE(xchat("bob", {"timer", "@alice"}).output.find("1h"), std::string::npos);
  const CliRun reply = xchat("bob", {"--json", "send", "@alice", "gone", "within", "the", "hour"});
  ASSERT_EQ(reply.exit_code, 0) << reply.output;
  ASSERT_FALSE(reply.objects().empty()) << reply.output;
  const auto result = reply.objects().back();  // after the events that came meanwhile
  EXPECT_EQ(result.value("expires_at", std::int64_t{0}),
            result.value("timestamp", std::int64_t{0}) + 3600 * 1000);

  ASSERT_EQ(xchat("bob", {"timer", "@alice", "off"}).exit_code, 0);
  const CliRun off = listen("alice", 1);
  ASSERT_EQ(off.events("timer").size(), 1u) << off.output;
  EXPECT_EQ(off.events("timer")[0].value("seconds", 99), 0);
  EXPECT_EQ(send({}, "and this one stays").count("expires_at"), 0u);
}

TEST_F(CliVanishTest, EditAndUnsendByMessageId) {
  init("alice", "@alice");
  init("bob", "@bob");
  const std::string id = send({}, "see you at 8").value("message_id", "");
  ASSERT_EQ(id.size(), 24u);
  ASSERT_EQ(listen("bob", 1).messages(), std::vector<std::string>({"see you at 8"}));
  // The id history prints is the one send printed.
  EXPECT_NE(xchat("alice", {"history", "@bob"}).output.find("[" + id + "]"), std::string::npos);

  const CliRun forged = xchat("bob", {"edit", "@alice", id, "forged"});
  EXPECT_EQ(forged.exit_code, 2) << forged.output;
  EXPECT_NE(forged.output.find("not_allowed"), std::string::npos) << forged.output;
  ASSERT_EQ(xchat("alice", {"edit", "@bob", id, "see", "you", "at", "9"}).exit_code, 0);
  const CliRun edited = listen("bob", 1);
  ASSERT_EQ(edited.events("edited").size(), 1u) << edited.output;
  EXPECT_EQ(edited.events("edited")[0].value("text", ""), "see you at 9");
  const CliRun history = xchat("bob", {"history", "@alice"});
  EXPECT_NE(history.output.find("@alice: see you at 9  (edited)"), std::string::npos)
      << history.output;

  const CliRun not_yours = xchat("bob", {"unsend", "@alice", id});
  EXPECT_EQ(not_yours.exit_code, 2) << not_yours.output;
  ASSERT_EQ(xchat("alice", {"unsend", "@bob", id}).exit_code, 0);
  const CliRun unsent = xchat("bob", {"listen", "--seconds", "1"});
  EXPECT_NE(unsent.output.find("@alice unsent a message"), std::string::npos) << unsent.output;
  EXPECT_TRUE(xchat("bob", {"--json", "history", "@alice"}).objects().empty());
}

TEST_F(CliVanishTest, MistypedDurationsAndIdsAreUsageErrors) {
  init("alice", "@alice");
  const CliRun duration = xchat("alice", {"send", "--vanish", "5 minutes", "@bob", "x"});
  EXPECT_EQ(duration.exit_code, 1) << duration.output;
  EXPECT_NE(duration.output.find("30s, 5m, 1h, 7d"), std::string::npos) << duration.output;
  EXPECT_EQ(xchat("alice", {"timer", "@bob", "0"}).exit_code, 1);
  const CliRun id = xchat("alice", {"unsend", "@bob", "not-an-id"});
  EXPECT_EQ(id.exit_code, 1) << id.output;
  EXPECT_NE(id.output.find("not a message id"), std::string::npos) << id.output;
}

class CliWindowTest : public CliFixture {
 protected:
  CliWindowTest()
      : CliFixture(
            {{"messages.edit_window_seconds", "1"}, {"messages.unsend_window_seconds", "1"}}) {}
};

TEST_F(CliWindowTest, UnsendAndEditAfterTheWindowAreRefused) {
  init("alice", "@alice");
  init("bob", "@bob");
  const CliRun sent = xchat("alice", {"--json", "send", "@bob", "final"});
  ASSERT_FALSE(sent.objects().empty()) << sent.output;
  const std::string id = sent.objects().back().value("message_id", "");
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"edit", "@bob", id, "changed"},
        std::vector<std::string>{"unsend", "@bob", id}}) {
    const CliRun late = xchat("alice", args);
    EXPECT_EQ(late.exit_code, 2) << late.output;
    EXPECT_NE(late.output.find("window_closed"), std::string::npos) << late.output;
  }
}

}  // namespace
}  // namespace xchat::testing
