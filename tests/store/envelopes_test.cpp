#include "store/envelopes.hpp"

#include <gtest/gtest.h>

#include <string>

#include "store/accounts.hpp"
#include "store/sends.hpp"
#include "support/memory_database.hpp"

namespace xchat {
namespace {

using store::Database;
namespace accounts = store::accounts;
namespace envelopes = store::envelopes;
namespace sends = store::sends;

constexpr std::int64_t kNow = 1'700'000'000'000;  // unix ms

class EnvelopesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = ::xchat::testing::migrated_memory_database();
    ASSERT_NE(db_, nullptr);
    alice_ = add_account("@alice", {1});
    bob_ = add_account("@bob", {1, 2});
  }

  std::int64_t add_account(const std::string& handle, std::initializer_list<std::uint32_t> ids) {
    auto id = accounts::insert(*db_, handle, handle, std::string(32, 'i'), 1);
    EXPECT_TRUE(id) << id.status().message();
    for (auto device : ids) {
      EXPECT_TRUE(accounts::insert_device(*db_, *id, {device, std::string(32, 'd'), 1}, 16));
    }
    return *id;
  }

  envelopes::Envelope envelope(std::uint32_t device, std::int64_t accepted_at,
                               const std::string& ciphertext) {
    auto seq = envelopes::allocate_seqs(*db_, 1);
    EXPECT_TRUE(seq) << seq.status().message();
    envelopes::Envelope e;
    e.seq = *seq;
    e.account_id = bob_;
    e.device_id = device;
    e.sender_id = alice_;
    e.sender_handle = "@Alice";
    e.sender_device = 1;
    e.message_id = std::string(16, 'm');
    e.accepted_at = accepted_at;
    e.ciphertext = ciphertext;
    return e;
  }

  std::int64_t queued(std::uint32_t device) {
    auto lengths = envelopes::device_queues(*db_, bob_);
    EXPECT_TRUE(lengths) << lengths.status().message();
    for (const auto& q : *lengths) {
      if (q.device_id == device) return q.queued;
    }
    ADD_FAILURE() << "no device " << device;
    return -1;
  }

  std::unique_ptr<Database> db_;
  std::int64_t alice_ = 0;
  std::int64_t bob_ = 0;
};

TEST_F(EnvelopesTest, SeqsAreConsecutiveAndNeverReused) {
  auto first = envelopes::allocate_seqs(*db_, 3);
  ASSERT_TRUE(first) << first.status().message();
  EXPECT_EQ(*first, 1);
  auto next = envelopes::allocate_seqs(*db_, 2);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 4);
  // Deleting every envelope does not bring seqs back.
  ASSERT_TRUE(envelopes::insert(*db_, envelope(1, kNow, "x")));
  ASSERT_TRUE(envelopes::remove(*db_, bob_, 1, {6}));
  auto after = envelopes::allocate_seqs(*db_, 1);
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, 7);
}

TEST_F(EnvelopesTest, PagesComeInSeqOrderPerDevice) {
  std::vector<std::int64_t> device1;
  for (int i = 0; i < 5; ++i) {
    auto e1 = envelope(1, kNow + i, "one" + std::to_string(i));
    device1.push_back(e1.seq);
    ASSERT_TRUE(envelopes::insert(*db_, e1));
    ASSERT_TRUE(envelopes::insert(*db_, envelope(2, kNow + i, "two")));
  }
  auto page = envelopes::page(*db_, bob_, 1, 0, 3, kNow);
  ASSERT_TRUE(page) << page.status().message();
  ASSERT_EQ(page->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*page)[i].seq, device1[i]);
    EXPECT_EQ((*page)[i].ciphertext, "one" + std::to_string(i));
    EXPECT_EQ((*page)[i].sender_handle, "@Alice");
    EXPECT_EQ((*page)[i].accepted_at, kNow + static_cast<std::int64_t>(i));
  }
  auto rest = envelopes::page(*db_, bob_, 1, page->back().seq, 10, kNow);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].seq, device1[3]);
  EXPECT_EQ((*rest)[1].seq, device1[4]);
}

TEST_F(EnvelopesTest, DeviceQueueFollowsInsertsAndRemovals) {
  auto a = envelope(1, kNow, "a");
  auto b = envelope(1, kNow, "b");
  ASSERT_TRUE(envelopes::insert(*db_, a));
  ASSERT_TRUE(envelopes::insert(*db_, b));
  ASSERT_TRUE(envelopes::insert(*db_, envelope(2, kNow, "c")));
  EXPECT_EQ(queued(1), 2);
  EXPECT_EQ(queued(2), 1);
  // Another device's seq, an unknown seq and a repeat remove nothing.
  auto removed = envelopes::remove(*db_, bob_, 2, {a.seq, 999, a.seq});
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 0);
  removed = envelopes::remove(*db_, bob_, 1, {a.seq, b.seq, a.seq});
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(queued(1), 0);
  EXPECT_EQ(queued(2), 1);
}

TEST_F(EnvelopesTest, InsertForAMissingDeviceIsUnknownDevice) {
  EXPECT_EQ(envelopes::insert(*db_, envelope(9, kNow, "x")).code(), ErrorCode::kUnknownDevice);
}

TEST_F(EnvelopesTest, RemovingADeviceDropsItsQueue) {
  ASSERT_TRUE(envelopes::insert(*db_, envelope(2, kNow, "x")));
  ASSERT_TRUE(accounts::delete_device(*db_, bob_, 2));
  auto page = envelopes::page(*db_, bob_, 2, 0, 10, kNow);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->empty());
}

TEST_F(EnvelopesTest, RemoveFromSenderTakesOnlyThatSendersEnvelopesForTheAccount) {
  const std::int64_t carol = add_account("@carol", {1});
  ASSERT_TRUE(envelopes::insert(*db_, envelope(1, kNow, "from alice")));
  ASSERT_TRUE(envelopes::insert(*db_, envelope(2, kNow, "from alice too")));
  auto from_carol = envelope(1, kNow, "from carol");
  from_carol.sender_id = carol;
  ASSERT_TRUE(envelopes::insert(*db_, from_carol));
  auto removed = envelopes::remove_from_sender(*db_, bob_, alice_);
  ASSERT_TRUE(removed) << removed.status().message();
  EXPECT_EQ(*removed, 2);
  auto left = envelopes::page(*db_, bob_, 1, 0, 10, kNow);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].ciphertext, "from carol");
  EXPECT_EQ(queued(2), 0);
}

TEST_F(EnvelopesTest, PurgeDeletesOnlyWhatIsOlderThanTheCutoffInBatches) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(envelopes::insert(*db_, envelope(1, kNow - 100, "old")));
  auto fresh = envelope(1, kNow, "new");
  ASSERT_TRUE(envelopes::insert(*db_, fresh));
  auto purged = envelopes::purge_older_than(*db_, kNow, 3);
  ASSERT_TRUE(purged) << purged.status().message();
  EXPECT_EQ(*purged, 3);
  purged = envelopes::purge_older_than(*db_, kNow, 3);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 2);
  auto left = envelopes::page(*db_, bob_, 1, 0, 10, kNow);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].seq, fresh.seq);
  EXPECT_EQ(queued(1), 1);
}

TEST_F(EnvelopesTest, SendRecordsAreFoundByDeviceAndMessageIdAndPurged) {
  const std::string id(16, 'k');
  sends::Record record;
  record.recipient_id = bob_;
  record.result = R"({"seq":1})";
  record.accepted_at = kNow - 10;
  ASSERT_TRUE(sends::insert(*db_, alice_, 1, id, record));
  auto found = sends::find(*db_, alice_, 1, id);
  ASSERT_TRUE(found) << found.status().message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->recipient_id, bob_);
  EXPECT_EQ((*found)->result, R"({"seq":1})");
  // The same id from another device is another send.
  auto other = sends::find(*db_, bob_, 1, id);
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_value());
  auto purged = sends::purge_older_than(*db_, kNow, 100);
  ASSERT_TRUE(purged) << purged.status().message();
  EXPECT_EQ(*purged, 1);
  found = sends::find(*db_, alice_, 1, id);
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->has_value());
}

TEST_F(EnvelopesTest, VanishingEnvelopesAreNotPagedOnceExpiredAndArePurgedInDeadlineOrder) {
  auto never = envelope(1, kNow, "stays");
  ASSERT_TRUE(envelopes::insert(*db_, never));
  std::vector<std::int64_t> seqs;
  for (const std::int64_t expires_at : {kNow + 3000, kNow + 1000, kNow + 2000}) {
    auto e = envelope(1, kNow, "vanishes");
    e.expires_at = expires_at;
    ASSERT_TRUE(envelopes::insert(*db_, e));
    seqs.push_back(e.seq);
  }
  auto next = envelopes::next_expiry(*db_);
  ASSERT_TRUE(next) << next.status().message();
  EXPECT_EQ(*next, std::optional<std::int64_t>(kNow + 1000));

  // At kNow + 2000 two have vanished: a page leaves them out even before the purge.
  auto page = envelopes::page(*db_, bob_, 1, 0, 10, kNow + 2000);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, never.seq);
  EXPECT_EQ((*page)[0].expires_at, 0);
  EXPECT_EQ((*page)[1].seq, seqs[0]);
  EXPECT_EQ((*page)[1].expires_at, kNow + 3000);

  auto purged = envelopes::purge_expired(*db_, kNow + 2000, 1);
  ASSERT_TRUE(purged) << purged.status().message();
  EXPECT_EQ(*purged, 1);  // the earliest first
  next = envelopes::next_expiry(*db_);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, std::optional<std::int64_t>(kNow + 2000));
  purged = envelopes::purge_expired(*db_, kNow + 2000, 10);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ(queued(1), 2);
  purged = envelopes::purge_expired(*db_, kNow + 3000, 10);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
  next = envelopes::next_expiry(*db_);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, std::nullopt);
  EXPECT_EQ(queued(1), 1);
}

TEST_F(EnvelopesTest, ExpiryQueriesReadTheExpiryIndex) {
  for (const char* sql :
       {"EXPLAIN QUERY PLAN SELECT seq FROM envelopes WHERE expires_at <= 5 "
        "ORDER BY expires_at LIMIT 10",
        "EXPLAIN QUERY PLAN SELECT expires_at FROM envelopes WHERE expires_at IS NOT NULL "
        "ORDER BY expires_at LIMIT 1"}) {
    auto plan = db_->query(sql);
    std::string details;
    while (plan.step()) details += plan.column_text(3) + "; ";
    EXPECT_NE(details.find("envelopes_by_expiry"), std::string::npos) << details;
  }
}

TEST_F(EnvelopesTest, EditsAndUnsendsKeepTheirKindAndReference) {
  auto edit = envelope(1, kNow, "edit");
  edit.kind = envelopes::Kind::kEdit;
  edit.refers_to = std::string(16, 'o');
  ASSERT_TRUE(envelopes::insert(*db_, edit));
  auto unsend = envelope(1, kNow, "unsend");
  unsend.kind = envelopes::Kind::kUnsend;
  unsend.refers_to = std::string(16, 'p');
  unsend.request = true;
  ASSERT_TRUE(envelopes::insert(*db_, unsend));
  auto page = envelopes::page(*db_, bob_, 1, 0, 10, kNow);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].kind, envelopes::Kind::kEdit);
  EXPECT_EQ((*page)[0].refers_to, std::string(16, 'o'));
  EXPECT_FALSE((*page)[0].request);
  EXPECT_EQ((*page)[1].kind, envelopes::Kind::kUnsend);
  EXPECT_EQ((*page)[1].refers_to, std::string(16, 'p'));
  EXPECT_TRUE((*page)[1].request);
}

TEST_F(EnvelopesTest, RemoveSentDeletesOnlyTheSendersEnvelope) {
  auto e = envelope(1, kNow, "x");
  ASSERT_TRUE(envelopes::insert(*db_, e));
  auto removed = envelopes::remove_sent(*db_, e.seq, bob_);
  ASSERT_TRUE(removed) << removed.status().message();
  EXPECT_FALSE(*removed);
  removed = envelopes::remove_sent(*db_, e.seq, alice_);
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  removed = envelopes::remove_sent(*db_, e.seq, alice_);
  ASSERT_TRUE(removed);
  EXPECT_FALSE(*removed);
  EXPECT_EQ(queued(1), 0);
}

TEST_F(EnvelopesTest, OldestAcceptedFollowsTheQueue) {
  auto oldest = envelopes::oldest_accepted(*db_);
  ASSERT_TRUE(oldest);
  EXPECT_EQ(*oldest, std::nullopt);
  ASSERT_TRUE(envelopes::insert(*db_, envelope(1, kNow - 5, "a")));
  ASSERT_TRUE(envelopes::insert(*db_, envelope(2, kNow - 9, "b")));
  oldest = envelopes::oldest_accepted(*db_);
  ASSERT_TRUE(oldest);
  EXPECT_EQ(*oldest, std::optional<std::int64_t>(kNow - 9));
}

TEST_F(EnvelopesTest, SendRecordsFindOriginalsByAccountAndTheirEdits) {
  const std::string original(16, 'o');
  sends::Record record;
  record.recipient_id = bob_;
  record.result = "{}";
  record.accepted_at = kNow;
  record.expires_at = kNow + 60'000;
  ASSERT_TRUE(sends::insert(*db_, alice_, 1, original, record));
  for (const char c : {'e', 'f'}) {
    sends::Record edit = record;
    edit.kind = envelopes::Kind::kEdit;
    edit.refers_to = original;
    edit.result = std::string(1, c);
    ASSERT_TRUE(sends::insert(*db_, alice_, 1, std::string(16, c), edit));
  }
  auto found = sends::find_by_account(*db_, alice_, original);
  ASSERT_TRUE(found) << found.status().message();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->sender_device, 1u);
  EXPECT_EQ((*found)->record.kind, envelopes::Kind::kMessage);
  EXPECT_EQ((*found)->record.expires_at, kNow + 60'000);
  EXPECT_FALSE((*found)->record.retracted);
  // Another account's message ids are not the caller's.
  auto theirs = sends::find_by_account(*db_, bob_, original);
  ASSERT_TRUE(theirs);
  EXPECT_FALSE(theirs->has_value());

  auto edits = sends::edit_results(*db_, alice_, original);
  ASSERT_TRUE(edits) << edits.status().message();
  EXPECT_EQ(*edits, (std::vector<std::string>{"e", "f"}));

  ASSERT_TRUE(sends::mark_retracted(*db_, alice_, 1, original));
  found = sends::find_by_account(*db_, alice_, original);
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE((*found)->record.retracted);
  auto oldest = sends::oldest_accepted(*db_);
  ASSERT_TRUE(oldest);
  EXPECT_EQ(*oldest, std::optional<std::int64_t>(kNow));
}

}  // namespace
}  // namespace xchat
