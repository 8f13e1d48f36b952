#include "store/contacts.hpp"

#include <gtest/gtest.h>

#include <cctype>

#include "store/accounts.hpp"
#include "support/memory_database.hpp"

namespace xchat {
namespace {

using store::Database;
using store::contacts::List;
namespace accounts = store::accounts;
namespace contacts = store::contacts;

class ContactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = ::xchat::testing::migrated_memory_database();
    ASSERT_NE(db_, nullptr);
    alice_ = add_account("@Alice");
    bob_ = add_account("@Bob");
    carol_ = add_account("@Carol");
  }

  std::int64_t add_account(const std::string& display) {
    std::string key = display;
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto id = accounts::insert(*db_, key, display, std::string(32, display[1]), 1);
    EXPECT_TRUE(id) << id.status().message();
    return *id;
  }

  contacts::Standing standing(std::int64_t recipient, std::int64_t sender) {
    auto s = contacts::standing(*db_, recipient, sender);
    EXPECT_TRUE(s) << s.status().message();
    return s ? *s : contacts::Standing{};
  }

  std::unique_ptr<Database> db_;
  std::int64_t alice_ = 0, bob_ = 0, carol_ = 0;
};

TEST_F(ContactsTest, AddIsIdempotentAndKeepsTheFirstTime) {
  auto added = contacts::add(*db_, List::kContacts, alice_, bob_, 100, 10);
  ASSERT_TRUE(added) << added.status().message();
  EXPECT_EQ(added->handle, "@Bob");
  EXPECT_EQ(added->identity_key, std::string(32, 'B'));
  EXPECT_EQ(added->added_at, 100);
  auto again = contacts::add(*db_, List::kContacts, alice_, bob_, 200, 10);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->added_at, 100);
}

TEST_F(ContactsTest, ListsAreOrderedOneWayAndSeparate) {
  ASSERT_TRUE(contacts::add(*db_, List::kContacts, alice_, carol_, 1, 10));
  ASSERT_TRUE(contacts::add(*db_, List::kContacts, alice_, bob_, 2, 10));
  ASSERT_TRUE(contacts::add(*db_, List::kBlocked, alice_, carol_, 3, 10));
  auto list = contacts::list(*db_, List::kContacts, alice_);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].handle, "@Bob");
  EXPECT_EQ((*list)[1].handle, "@Carol");
  auto blocked = contacts::list(*db_, List::kBlocked, alice_);
  ASSERT_TRUE(blocked);
  ASSERT_EQ(blocked->size(), 1u);
  EXPECT_EQ((*blocked)[0].handle, "@Carol");
  auto bobs = contacts::list(*db_, List::kContacts, bob_);
  ASSERT_TRUE(bobs);
  EXPECT_TRUE(bobs->empty());
}

TEST_F(ContactsTest, AListStopsAtItsMaximum) {
  ASSERT_TRUE(contacts::add(*db_, List::kBlocked, alice_, bob_, 1, 1));
  EXPECT_EQ(contacts::add(*db_, List::kBlocked, alice_, carol_, 1, 1).status().code(),
            ErrorCode::kTooLarge);
  // Re-adding what is there is not growth.
  EXPECT_TRUE(contacts::add(*db_, List::kBlocked, alice_, bob_, 1, 1));
}

TEST_F(ContactsTest, RemoveSaysWhetherItWasThere) {
  ASSERT_TRUE(contacts::add(*db_, List::kContacts, alice_, bob_, 1, 10));
  auto removed = contacts::remove(*db_, List::kContacts, alice_, bob_);
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  removed = contacts::remove(*db_, List::kContacts, alice_, bob_);
  ASSERT_TRUE(removed);
  EXPECT_FALSE(*removed);
}

TEST_F(ContactsTest, StandingReflectsListsAndSetting) {
  auto s = standing(alice_, bob_);
  EXPECT_FALSE(s.contact);
  EXPECT_FALSE(s.blocked);
  EXPECT_FALSE(s.contacts_only);
  ASSERT_TRUE(contacts::add(*db_, List::kContacts, alice_, bob_, 1, 10));
  ASSERT_TRUE(contacts::add(*db_, List::kBlocked, alice_, carol_, 1, 10));
  ASSERT_TRUE(accounts::set_contacts_only(*db_, alice_, true));
  s = standing(alice_, bob_);
  EXPECT_TRUE(s.contact);
  EXPECT_FALSE(s.blocked);
  EXPECT_TRUE(s.contacts_only);
  s = standing(alice_, carol_);
  EXPECT_FALSE(s.contact);
  EXPECT_TRUE(s.blocked);
  // One-way: Alice's lists say nothing about how Bob treats her.
  s = standing(bob_, alice_);
  EXPECT_FALSE(s.contact);
  EXPECT_FALSE(s.contacts_only);
}

TEST_F(ContactsTest, DeletingAnAccountLeavesEveryList) {
  ASSERT_TRUE(contacts::add(*db_, List::kContacts, alice_, bob_, 1, 10));
  ASSERT_TRUE(contacts::add(*db_, List::kBlocked, carol_, bob_, 1, 10));
  ASSERT_TRUE(accounts::remove(*db_, "@bob"));
  auto list = contacts::list(*db_, List::kContacts, alice_);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
  auto blocked = contacts::list(*db_, List::kBlocked, carol_);
  ASSERT_TRUE(blocked);
  EXPECT_TRUE(blocked->empty());
}

}  // namespace
}  // namespace xchat
