#include "messenger/amendments.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace xchat::client {
namespace {

using ::xchat::testing::TempDir;
using Direction = HistoryEntry::Direction;

const std::string kTheirs(16, 't');  // Bob's message to us
const std::string kOurs(16, 'o');    // our message to Bob

class AmendmentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = LocalStore::open(dir_.file("home"), "pw");
    ASSERT_TRUE(opened) << opened.status().message();
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->add_history(entry(kTheirs, Direction::kIn, "bob's words")));
    ASSERT_TRUE(store_->add_history(entry(kOurs, Direction::kOut, "our words")));
  }

  static HistoryEntry entry(const std::string& id, Direction direction, std::string text,
                            std::int64_t expires_at = 0) {
    HistoryEntry e;
    e.peer = "@bob";
    e.direction = direction;
    e.message_id = id;
    e.timestamp_ms = 1000;
    e.text = std::move(text);
    e.expires_at = expires_at;
    return e;
  }

  std::vector<std::string> texts() {
    std::vector<std::string> out;
    for (const auto& h : store_->history("@bob", 10, 0)) out.push_back(h.text);
    return out;
  }

  TempDir dir_{"xchat-amendments"};
  std::unique_ptr<LocalStore> store_;
};

TEST_F(AmendmentsTest, TheSenderUnsendsItsOwnMessage) {
  EXPECT_EQ(*apply_retraction(*store_, "@bob", Direction::kIn, kTheirs, 0), Amendment::kApplied);
  EXPECT_EQ(texts(), std::vector<std::string>({"our words"}));
  // A sync copy of our own unsend, from another of our devices.
  EXPECT_EQ(*apply_retraction(*store_, "@bob", Direction::kOut, kOurs, 0), Amendment::kApplied);
  EXPECT_TRUE(texts().empty());
  EXPECT_EQ(*apply_retraction(*store_, "@bob", Direction::kIn, kTheirs, 0),
            Amendment::kNoSuchMessage);
}

TEST_F(AmendmentsTest, NobodyElseCanUnsendOrEditAMessage) {
  // Bob naming our message, or we (from another device) naming Bob's: refused.
  EXPECT_EQ(*apply_retraction(*store_, "@bob", Direction::kIn, kOurs, 0), Amendment::kNotTheSender);
  EXPECT_EQ(*apply_retraction(*store_, "@bob", Direction::kOut, kTheirs, 0),
            Amendment::kNotTheSender);
  EXPECT_EQ(*apply_edit(*store_, entry(kOurs, Direction::kIn, "forged"), 0),
            Amendment::kNotTheSender);
  // Carol cannot reach into the conversation with Bob: the lookup is per conversation.
  EXPECT_EQ(*apply_retraction(*store_, "@carol", Direction::kIn, kTheirs, 0),
            Amendment::kNoSuchMessage);
  EXPECT_EQ(texts(), std::vector<std::string>({"bob's words", "our words"}));
}

TEST_F(AmendmentsTest, AnEditReplacesTheTextAndKeepsTheOriginalsPlaceAndTimer) {
  ASSERT_TRUE(store_->add_history(entry(std::string(16, 'v'), Direction::kIn, "soon gone", 5000)));
  EXPECT_EQ(*apply_edit(*store_, entry(kTheirs, Direction::kIn, "bob's better words"), 0),
            Amendment::kApplied);
  EXPECT_EQ(
      *apply_edit(*store_, entry(std::string(16, 'v'), Direction::kIn, "still soon", 99999), 0),
      Amendment::kApplied);
  const auto h = store_->history("@bob", 10, 0);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].text, "bob's better words");
  EXPECT_TRUE(h[0].edited);
  EXPECT_FALSE(h[1].edited);
  EXPECT_EQ(h[2].text, "still soon");
  EXPECT_EQ(h[2].expires_at, 5000);
}

TEST_F(AmendmentsTest, AnEditOfAMessageWeNeverHadIsKeptAsAnEditedMessage) {
  const std::string missing(16, 'm');
  EXPECT_EQ(*apply_edit(*store_, entry(missing, Direction::kIn, "corrected text", 7000), 0),
            Amendment::kAddedAsNew);
  const auto added = store_->message("@bob", missing, 0);
  ASSERT_TRUE(added);
  EXPECT_EQ(added->text, "corrected text");
  EXPECT_TRUE(added->edited);
  EXPECT_EQ(added->expires_at, 7000);
  // Later changes find it under the original's id.
  EXPECT_EQ(*apply_edit(*store_, entry(missing, Direction::kIn, "again"), 0), Amendment::kApplied);
  EXPECT_EQ(*apply_retraction(*store_, "@bob", Direction::kIn, missing, 0), Amendment::kApplied);
}

TEST_F(AmendmentsTest, AVanishedMessageCannotBeChanged) {
  ASSERT_TRUE(store_->add_history(entry(std::string(16, 'v'), Direction::kIn, "gone", 5000)));
  EXPECT_EQ(*apply_retraction(*store_, "@bob", Direction::kIn, std::string(16, 'v'), 5000),
            Amendment::kNoSuchMessage);
}

}  // namespace
}  // namespace xchat::client
