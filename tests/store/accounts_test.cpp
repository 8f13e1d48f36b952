#include "store/accounts.hpp"

#include <gtest/gtest.h>

#include <string>

#include "store/invites.hpp"
#include "support/memory_database.hpp"

namespace xchat {
namespace {

using store::Database;
namespace accounts = store::accounts;
namespace invites = store::invites;

constexpr std::int64_t kNow = 1'700'000'000;
constexpr const char* kCountAllDevices = "SELECT count(*) FROM devices";
constexpr const char* kInviteUser = "SELECT used_by IS NULL, used_at FROM invites WHERE code = ?1";

class AccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = ::xchat::testing::migrated_memory_database();
    ASSERT_NE(db_, nullptr);
  }

  std::int64_t add_account(const std::string& display, const std::string& key) {
    auto id = accounts::insert(*db_, key, display, std::string(32, 'i'), kNow);
    EXPECT_TRUE(id) << id.status().message();
    return id ? *id : -1;
  }

  Status add_device(std::int64_t account, std::uint32_t device_id, std::int64_t max = 16) {
    return accounts::insert_device(
        *db_, account,
        accounts::Device{device_id, std::string(32, static_cast<char>(device_id)), kNow}, max);
  }

  std::size_t device_count(std::int64_t account) {
    auto d = accounts::devices(*db_, account);
    EXPECT_TRUE(d) << d.status().message();
    return d ? d->size() : 0;
  }

  std::unique_ptr<Database> db_;
};

TEST_F(AccountsTest, InsertAndFindKeepsDisplayCase) {
  const std::int64_t id = add_account("@Alice", "@alice");
  auto found = accounts::find_by_handle(*db_, "@alice");
  ASSERT_TRUE(found) << found.status().message();
  ASSERT_TRUE(found->has_value());
  const accounts::Account& a = **found;
  EXPECT_EQ(a.id, id);
  EXPECT_EQ(a.handle, "@Alice");
  EXPECT_EQ(a.handle_key, "@alice");
  EXPECT_EQ(a.identity_key, std::string(32, 'i'));
  EXPECT_EQ(a.created_at, kNow);
  EXPECT_FALSE(a.suspended);
  EXPECT_FALSE(a.subscription_until.has_value());

  auto by_id = accounts::find_by_id(*db_, id);
  ASSERT_TRUE(by_id && by_id->has_value());
  EXPECT_EQ((*by_id)->handle, "@Alice");

  auto missing = accounts::find_by_handle(*db_, "@bob");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_F(AccountsTest, CallerIsNotFoundOnceDeleted) {
  const std::int64_t id = add_account("@Alice", "@alice");
  auto found = accounts::caller(*db_, id);
  ASSERT_TRUE(found) << found.status().message();
  EXPECT_EQ(found->handle, "@Alice");
  ASSERT_TRUE(accounts::remove(*db_, "@alice"));
  auto gone = accounts::caller(*db_, id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.status().code(), ErrorCode::kNotFound);
}

TEST_F(AccountsTest, DuplicateHandleIsTaken) {
  add_account("@Alice", "@alice");
  auto again = accounts::insert(*db_, "@alice", "@ALICE", std::string(32, 'j'), kNow);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().code(), ErrorCode::kHandleTaken);
  auto all = accounts::list(*db_);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().handle, "@Alice");  // the first registration is untouched
}

TEST_F(AccountsTest, DevicesAddListAndRefuseDuplicates) {
  const std::int64_t id = add_account("@Alice", "@alice");
  ASSERT_TRUE(add_device(id, 1));
  ASSERT_TRUE(add_device(id, 7));
  Status dup = add_device(id, 1);
  EXPECT_EQ(dup.code(), ErrorCode::kDeviceExists);

  auto devices = accounts::devices(*db_, id);
  ASSERT_TRUE(devices);
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[0].device_id, 1u);
  EXPECT_EQ((*devices)[0].device_key, std::string(32, '\x01'));
  EXPECT_EQ((*devices)[1].device_id, 7u);
  EXPECT_EQ((*devices)[1].created_at, kNow);

  auto key = accounts::device_key(*db_, id, 7);
  ASSERT_TRUE(key && key->has_value());
  EXPECT_EQ(**key, std::string(32, '\x07'));
  auto none = accounts::device_key(*db_, id, 8);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST_F(AccountsTest, DeviceIdsAreScopedToTheAccount) {
  const std::int64_t alice = add_account("@Alice", "@alice");
  const std::int64_t bob = add_account("@Bob", "@bob");
  ASSERT_TRUE(add_device(alice, 1));
  EXPECT_TRUE(add_device(bob, 1));
}

TEST_F(AccountsTest, DeviceIdUsesTheFullU32Range) {
  const std::int64_t id = add_account("@Alice", "@alice");
  ASSERT_TRUE(add_device(id, 0xffffffffu));
  auto devices = accounts::devices(*db_, id);
  ASSERT_TRUE(devices && devices->size() == 1);
  EXPECT_EQ(devices->front().device_id, 0xffffffffu);
}

TEST_F(AccountsTest, MaxDevicesIsEnforced) {
  const std::int64_t id = add_account("@Alice", "@alice");
  ASSERT_TRUE(add_device(id, 1, /*max=*/2));
  ASSERT_TRUE(add_device(id, 2, /*max=*/2));
  Status third = add_device(id, 3, /*max=*/2);
  EXPECT_EQ(third.code(), ErrorCode::kTooManyDevices);
  EXPECT_EQ(device_count(id), 2u);
}

TEST_F(AccountsTest, DeleteDevice) {
  const std::int64_t id = add_account("@Alice", "@alice");
  ASSERT_TRUE(add_device(id, 1));
  EXPECT_EQ(accounts::delete_device(*db_, id, 1).code(), ErrorCode::kLastDevice);
  EXPECT_EQ(accounts::delete_device(*db_, id, 2).code(), ErrorCode::kUnknownDevice);
  ASSERT_TRUE(add_device(id, 2));
  EXPECT_EQ(accounts::delete_device(*db_, id, 3).code(), ErrorCode::kUnknownDevice);
  Status removed = accounts::delete_device(*db_, id, 1);
  ASSERT_TRUE(removed) << removed.message();
  EXPECT_EQ(device_count(id), 1u);
  EXPECT_EQ(accounts::delete_device(*db_, id, 2).code(), ErrorCode::kLastDevice);
  EXPECT_EQ(device_count(id), 1u);
}

TEST_F(AccountsTest, DeletingAnAccountCascadesToItsDevices) {
  const std::int64_t alice = add_account("@Alice", "@alice");
  const std::int64_t bob = add_account("@Bob", "@bob");
  ASSERT_TRUE(add_device(alice, 1));
  ASSERT_TRUE(add_device(alice, 2));
  ASSERT_TRUE(add_device(bob, 1));
  Status removed = accounts::remove(*db_, "@alice");
  ASSERT_TRUE(removed) << removed.message();
  EXPECT_EQ(device_count(alice), 0u);
  EXPECT_EQ(*db_->scalar(kCountAllDevices), 1);
  auto gone = accounts::find_by_handle(*db_, "@alice");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(accounts::remove(*db_, "@alice").code(), ErrorCode::kNotFound);
  // The handle is free again.
  EXPECT_TRUE(accounts::insert(*db_, "@alice", "@aLiCe", std::string(32, 'k'), kNow));
}

TEST_F(AccountsTest, SubscriptionAndSuspension) {
  add_account("@Alice", "@alice");
  ASSERT_TRUE(accounts::set_subscription(*db_, "@alice", kNow + 86400));
  ASSERT_TRUE(accounts::set_suspended(*db_, "@alice", true));
  auto a = accounts::find_by_handle(*db_, "@alice");
  ASSERT_TRUE(a && a->has_value());
  EXPECT_EQ((*a)->subscription_until, kNow + 86400);
  EXPECT_TRUE((*a)->suspended);

  ASSERT_TRUE(accounts::set_subscription(*db_, "@alice", std::nullopt));
  ASSERT_TRUE(accounts::set_suspended(*db_, "@alice", false));
  a = accounts::find_by_handle(*db_, "@alice");
  ASSERT_TRUE(a && a->has_value());
  EXPECT_FALSE((*a)->subscription_until.has_value());
  EXPECT_FALSE((*a)->suspended);
}

TEST_F(AccountsTest, AdministeringAnUnknownAccountIsNotFound) {
  add_account("@Alice", "@alice");
  EXPECT_EQ(accounts::set_subscription(*db_, "@bob", kNow).code(), ErrorCode::kNotFound);
  EXPECT_EQ(accounts::set_suspended(*db_, "@bob", true).code(), ErrorCode::kNotFound);
  EXPECT_EQ(accounts::remove(*db_, "@bob").code(), ErrorCode::kNotFound);
  // Keys are canonical: the display form is not a key.
  EXPECT_EQ(accounts::set_suspended(*db_, "@Alice", true).code(), ErrorCode::kNotFound);
}

TEST_F(AccountsTest, ListIsOrderedByHandle) {
  add_account("@Carol", "@carol");
  add_account("@alice", "@alice");
  add_account("@Bob", "@bob");
  auto all = accounts::list(*db_);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].handle, "@alice");
  EXPECT_EQ((*all)[1].handle, "@Bob");
  EXPECT_EQ((*all)[2].handle, "@Carol");
}

TEST_F(AccountsTest, InviteIsConsumedOnce) {
  const std::int64_t alice = add_account("@Alice", "@alice");
  const std::int64_t bob = add_account("@Bob", "@bob");
  ASSERT_TRUE(invites::insert(*db_, "code-1", kNow, std::nullopt));
  Status first = invites::consume(*db_, "code-1", alice, kNow + 10);
  ASSERT_TRUE(first) << first.message();
  EXPECT_EQ(invites::consume(*db_, "code-1", bob, kNow + 20).code(), ErrorCode::kInviteInvalid);

  auto q = db_->query(kInviteUser);
  q.bind_text(1, "code-1");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.column_int(0), 0);          // used_by is set
  EXPECT_EQ(q.column_int(1), kNow + 10);  // by the first consumer
}

TEST_F(AccountsTest, UnknownOrExpiredInviteIsInvalid) {
  const std::int64_t alice = add_account("@Alice", "@alice");
  EXPECT_EQ(invites::consume(*db_, "nope", alice, kNow).code(), ErrorCode::kInviteInvalid);

  ASSERT_TRUE(invites::insert(*db_, "expiring", kNow, kNow + 100));
  EXPECT_EQ(invites::consume(*db_, "expiring", alice, kNow + 100).code(),
            ErrorCode::kInviteInvalid);  // expires_at itself is too late
  EXPECT_EQ(invites::consume(*db_, "expiring", alice, kNow + 1000).code(),
            ErrorCode::kInviteInvalid);
  EXPECT_TRUE(invites::consume(*db_, "expiring", alice, kNow + 99));
}

TEST_F(AccountsTest, DuplicateInviteCodeIsRefused) {
  ASSERT_TRUE(invites::insert(*db_, "code-1", kNow, std::nullopt));
  EXPECT_FALSE(invites::insert(*db_, "code-1", kNow, std::nullopt));
}

}  // namespace
}  // namespace xchat
