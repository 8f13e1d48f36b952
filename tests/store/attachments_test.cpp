#include "store/attachments.hpp"

#include <gtest/gtest.h>

#include "store/accounts.hpp"
#include "support/memory_database.hpp"

namespace xchat {
namespace {

namespace attachments = store::attachments;
using attachments::Attachment;

class AttachmentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = ::xchat::testing::migrated_memory_database();
    ASSERT_NE(db_, nullptr);
    auto id = store::accounts::insert(*db_, "@alice", "@alice", std::string(32, 'a'), 1);
    ASSERT_TRUE(id);
    owner_ = *id;
  }

  Attachment add(char tag, std::int64_t size, std::int64_t expires_at, bool complete = false) {
    Attachment a;
    a.id = std::string(attachments::kIdBytes, tag);
    a.owner_id = owner_;
    a.size = size;
    a.created_at = 1000;
    a.expires_at = expires_at;
    a.complete = complete;
    EXPECT_TRUE(attachments::insert(*db_, a));
    return a;
  }

  std::unique_ptr<store::Database> db_;
  std::int64_t owner_ = 0;
};

TEST_F(AttachmentsTest, UsageCountsDeclaredBytesAndUnfinishedUploads) {
  add('a', 100, 5000);
  add('b', 50, 5000, /*complete=*/true);
  auto usage = attachments::usage(*db_, owner_);
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->bytes, 150);
  EXPECT_EQ(usage->uploads_in_progress, 1);
  auto none = attachments::usage(*db_, owner_ + 1);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->bytes, 0);
}

TEST_F(AttachmentsTest, CompletingOnceSetsTheRetentionDeadline) {
  const Attachment a = add('a', 100, 5000);
  EXPECT_EQ(attachments::complete(*db_, a.id, 9000).value(), true);
  EXPECT_EQ(attachments::complete(*db_, a.id, 9999).value(), false);  // already complete
  auto found = attachments::find(*db_, a.id);
  ASSERT_TRUE(found && *found);
  EXPECT_TRUE((*found)->complete);
  EXPECT_EQ((*found)->expires_at, 9000);
  EXPECT_EQ(attachments::complete(*db_, std::string(16, 'z'), 1).value(), false);
}

TEST_F(AttachmentsTest, AVanishingMessageOnlyBringsTheDeadlineForward) {
  const Attachment a = add('a', 100, 5000, true);
  ASSERT_TRUE(attachments::expire_by(*db_, a.id, 7000));
  EXPECT_EQ((*attachments::find(*db_, a.id))->expires_at, 5000);
  ASSERT_TRUE(attachments::expire_by(*db_, a.id, 3000));
  EXPECT_EQ((*attachments::find(*db_, a.id))->expires_at, 3000);
}

TEST_F(AttachmentsTest, GrantsNameDevicesAndGoWithTheirAttachment) {
  const Attachment a = add('a', 100, 5000, true);
  ASSERT_TRUE(attachments::grant(*db_, a.id, 9, 1));
  ASSERT_TRUE(attachments::grant(*db_, a.id, 9, 1));  // twice is once
  EXPECT_TRUE(attachments::granted(*db_, a.id, 9, 1).value());
  EXPECT_FALSE(attachments::granted(*db_, a.id, 9, 2).value());
  EXPECT_FALSE(attachments::granted(*db_, a.id, 8, 1).value());
  EXPECT_TRUE(attachments::remove(*db_, a.id).value());
  EXPECT_FALSE(attachments::remove(*db_, a.id).value());
  EXPECT_FALSE(attachments::granted(*db_, a.id, 9, 1).value());
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM attachment_grants").value(), 0);
}

TEST_F(AttachmentsTest, DueListsTheExpiredEarliestFirstWithinTheLimit) {
  add('c', 1, 3000);
  add('a', 1, 1000);
  add('b', 1, 2000);
  add('d', 1, 9000);
  EXPECT_EQ(attachments::next_expiry(*db_).value(), 1000);
  auto due = attachments::due(*db_, 3000, 2);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0], std::string(16, 'a'));
  EXPECT_EQ((*due)[1], std::string(16, 'b'));
  EXPECT_EQ(attachments::due(*db_, 3000, 10)->size(), 3u);
}

TEST_F(AttachmentsTest, DeletingTheAccountDeletesItsAttachments) {
  add('a', 1, 1000);
  ASSERT_TRUE(db_->exec("DELETE FROM accounts"));
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM attachments").value(), 0);
}

}  // namespace
}  // namespace xchat
