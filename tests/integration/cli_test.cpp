// The xchat command-line client, driven as a user would drive it, against a real xchatd.
#include <gtest/gtest.h>

#include "integration/support/xchat_cli.hpp"

namespace xchat::testing {
namespace {

class CliTest : public CliFixture {};

TEST_F(CliTest, TwoUsersChatBothWaysWithReceipts) {
  init("alice", "@Alice");
  init("bob", "@Bob");
  CliRun sent = xchat("alice", {"send", "@bob", "hello", "bob"});
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  EXPECT_NE(sent.output.find("sent to @bob (1 device)"), std::string::npos) << sent.output;

  const CliRun bob = listen("bob");
  EXPECT_EQ(bob.exit_code, 0) << bob.output;
  EXPECT_EQ(bob.messages(), std::vector<std::string>({"hello bob"})) << bob.output;

  ASSERT_EQ(xchat("bob", {"send", "@Alice", "hi alice"}).exit_code, 0);
  const CliRun alice = listen("alice");
  EXPECT_EQ(alice.messages(), std::vector<std::string>({"hi alice"})) << alice.output;
  // Bob's listen read Alice's message and said so.
  bool read_receipt = false;
  for (const auto& j : alice.objects()) {
    read_receipt |= j.value("event", "") == "receipt" && j.value("state", "") == "read";
  }
  EXPECT_TRUE(read_receipt) << alice.output;

  const CliRun history = xchat("alice", {"--json", "history", "@bob"});
  ASSERT_EQ(history.exit_code, 0) << history.output;
  const auto lines = history.objects();
  ASSERT_EQ(lines.size(), 2u) << history.output;
  EXPECT_EQ(lines[0].value("text", ""), "hello bob");
  EXPECT_EQ(lines[0].value("state", ""), "read");
  EXPECT_EQ(lines[1].value("text", ""), "hi alice");
  EXPECT_EQ(lines[1].value("direction", ""), "in");
}

TEST_F(CliTest, ChatSendsEachLineTyped) {
  init("alice", "@alice");
  init("bob", "@bob");
  const CliRun chat = xchat("alice", {"chat", "@bob"}, "first line\nsecond line\n");
  EXPECT_EQ(chat.exit_code, 0) << chat.output;
  EXPECT_EQ(listen("bob").messages(), std::vector<std::string>({"first line", "second line"}));
}

TEST_F(CliTest, ThreeDevicesOfOneAccountAllSeeTheConversation) {
  init("alice1", "@alice");
  init("bob", "@bob");
  const CliRun added =
      xchat("alice1", {"--json", "devices", "add", "2", "--out", dir_.file("link")});
  ASSERT_EQ(added.exit_code, 0) << added.output;
  ASSERT_EQ(added.objects().size(), 1u) << added.output;
  const std::string code = added.objects()[0].value("code", "");
  const CliRun linked = xchat("alice2", {"init", "--link", dir_.file("link"), "--code", code});
  ASSERT_EQ(linked.exit_code, 0) << linked.output;
  const CliRun added3 =
      xchat("alice2", {"--json", "devices", "add", "3", "--out", dir_.file("link3")});
  ASSERT_EQ(added3.exit_code, 0) << added3.output;
  ASSERT_EQ(xchat("alice3", {"init", "--link", dir_.file("link3"), "--code",
                             added3.objects().at(0).value("code", "")})
                .exit_code,
            0);

  ASSERT_EQ(xchat("alice1", {"send", "@bob", "from device one"}).exit_code, 0);
  EXPECT_EQ(listen("bob").messages(), std::vector<std::string>({"from device one"}));
  for (const char* device : {"alice2", "alice3"}) {
    const CliRun copy = listen(device);
    ASSERT_EQ(copy.messages(), std::vector<std::string>({"from device one"})) << copy.output;
    for (const auto& j : copy.objects()) {
      if (j.value("event", "") == "message") {
        EXPECT_TRUE(j.value("from_me", false));
        EXPECT_EQ(j.value("peer", ""), "@bob");
      }
    }
  }

  ASSERT_EQ(xchat("bob", {"send", "@alice", "to every device"}).exit_code, 0);
  for (const char* device : {"alice1", "alice2", "alice3"}) {
    EXPECT_EQ(listen(device).messages(), std::vector<std::string>({"to every device"})) << device;
  }

  const CliRun devices = xchat("alice2", {"devices", "list"});
  EXPECT_NE(devices.output.find("device 1"), std::string::npos) << devices.output;
  EXPECT_NE(devices.output.find("device 2 (this one)"), std::string::npos) << devices.output;
}

TEST_F(CliTest, RequestsAndBlocksAsAUserSeesThem) {
  init("alice", "@alice");
  init("mallory", "@mallory");
  init("bob", "@bob");
  ASSERT_EQ(xchat("mallory", {"send", "@bob", "spam"}).exit_code, 0);
  ASSERT_EQ(xchat("alice", {"send", "@bob", "it's alice"}).exit_code, 0);
  const CliRun shown = xchat("bob", {"listen", "--seconds", "2"});
  EXPECT_NE(shown.output.find("@mallory (request): spam"), std::string::npos) << shown.output;
  const CliRun pending = xchat("bob", {"requests"});
  EXPECT_NE(pending.output.find("@alice"), std::string::npos) << pending.output;
  EXPECT_NE(pending.output.find("@mallory"), std::string::npos) << pending.output;

  ASSERT_EQ(xchat("bob", {"requests", "accept", "@alice"}).exit_code, 0);
  ASSERT_EQ(xchat("bob", {"requests", "block", "@mallory"}).exit_code, 0);
  EXPECT_EQ(xchat("bob", {"requests"}).output, "");
  const CliRun contacts = xchat("bob", {"contacts", "list"});
  EXPECT_EQ(contacts.output, "@alice\n");

  ASSERT_EQ(xchat("mallory", {"send", "@bob", "more spam"}).exit_code, 0);
  ASSERT_EQ(xchat("alice", {"send", "@bob", "thanks"}).exit_code, 0);
  const CliRun later = listen("bob");
  EXPECT_EQ(later.messages(), std::vector<std::string>({"thanks"})) << later.output;
  for (const auto& j : later.objects()) {
    if (j.value("event", "") == "message") {
      EXPECT_FALSE(j.value("request", true));
    }
  }
}

TEST_F(CliTest, AChangedIdentityKeyIsShownBeforeTheMessageGoes) {
  init("alice", "@alice");
  init("bob", "@bob");
  ASSERT_EQ(xchat("alice", {"send", "@bob", "first"}).exit_code, 0);
  ASSERT_EQ(daemon_.admin({"account", "delete", "@bob"}), 0);
  init("impostor", "@bob");
  const CliRun second = xchat("alice", {"send", "@bob", "second"});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const auto warning = second.output.find("identity key has changed");
  ASSERT_NE(warning, std::string::npos) << second.output;
  EXPECT_LT(warning, second.output.find("sent to @bob")) << second.output;

  const CliRun fingerprint = xchat("alice", {"fingerprint", "@bob"});
  EXPECT_EQ(fingerprint.exit_code, 0) << fingerprint.output;
  EXPECT_NE(fingerprint.output.find("Safety number with @bob"), std::string::npos);
}

TEST_F(CliTest, ExitCodesSayWhatWentWrong) {
  init("alice", "@alice");
  const CliRun nobody = xchat("alice", {"send", "@nobody", "hello?"});
  EXPECT_EQ(nobody.exit_code, 2) << nobody.output;
  EXPECT_NE(nobody.output.find("not_found"), std::string::npos) << nobody.output;

  const CliRun wrong = xchat("alice", {"history", "@bob"}, "", "not the passphrase");
  EXPECT_EQ(wrong.exit_code, 4) << wrong.output;
  EXPECT_NE(wrong.output.find("wrong passphrase"), std::string::npos) << wrong.output;

  const CliRun usage = xchat("alice", {"send"});
  EXPECT_EQ(usage.exit_code, 1) << usage.output;

  const CliRun taken = xchat("other", {"init", "--server", url(), "--handle", "@alice"});
  EXPECT_EQ(taken.exit_code, 2) << taken.output;
  EXPECT_NE(taken.output.find("handle_taken"), std::string::npos) << taken.output;

  daemon_.stop();
  const CliRun unreachable = xchat("alice", {"history", "@bob"});
  EXPECT_EQ(unreachable.exit_code, 3) << unreachable.output;
}

}  // namespace
}  // namespace xchat::testing
