#include "service/timed_records.hpp"

#include <gtest/gtest.h>

#include <string>

#include "store/accounts.hpp"
#include "store/envelopes.hpp"
#include "store/sends.hpp"
#include "support/memory_database.hpp"

namespace xchat {
namespace {

namespace envelopes = store::envelopes;

constexpr std::int64_t kT = 1'700'000'000'000;  // unix ms
constexpr std::int64_t kDayMs = 24 * 3600 * 1000;

class TimedRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = ::xchat::testing::migrated_memory_database();
    ASSERT_NE(db_, nullptr);
    auto id = store::accounts::insert(*db_, "@bob", "@bob", std::string(32, 'i'), 1);
    ASSERT_TRUE(id) << id.status().message();
    bob_ = *id;
    ASSERT_TRUE(store::accounts::insert_device(*db_, bob_, {1, std::string(32, 'd'), 1}, 16));
    config_.messages.max_retention_days = 1;
    config_.messages.dedup_window_hours = 1;
    config_.messages.unsend_window_seconds = 2 * 3600;
    config_.messages.edit_window_seconds = 60;
  }

  void add_envelope(std::int64_t accepted_at, std::int64_t expires_at) {
    auto seq = envelopes::allocate_seqs(*db_, 1);
    ASSERT_TRUE(seq);
    envelopes::Envelope e;
    e.seq = *seq;
    e.account_id = bob_;
    e.device_id = 1;
    e.sender_id = bob_;
    e.sender_handle = "@bob";
    e.sender_device = 1;
    e.message_id = std::string(16, 'm');
    e.accepted_at = accepted_at;
    e.expires_at = expires_at;
    e.ciphertext = std::string(8, 'c');
    ASSERT_TRUE(envelopes::insert(*db_, e));
  }

  const TimedRecords& kind(const std::string& name) {
    for (const auto& k : kinds_) {
      if (name == k.name) return k;
    }
    ADD_FAILURE() << "no kind " << name;
    return kinds_.front();
  }

  std::optional<std::int64_t> next(const TimedRecords& k) {
    auto n = k.next_deadline(*db_, config_);
    EXPECT_TRUE(n) << n.status().message();
    return n ? *n : std::nullopt;
  }

  std::int64_t purge(const TimedRecords& k, std::int64_t now) {
    auto n = k.purge(*db_, config_, now, 100);
    EXPECT_TRUE(n) << n.status().message();
    return n ? *n : -1;
  }

  std::unique_ptr<store::Database> db_;
  std::int64_t bob_ = 0;
  Config config_;
  const std::vector<TimedRecords> kinds_ = messaging_timed_records();
};

// Each kind deletes a record exactly at the deadline it announces, not a millisecond
// before: the scheduler arms its timer for that deadline and must find the record due.
TEST_F(TimedRecordsTest, VanishingEnvelopesGoAtTheirExpiry) {
  const auto& vanishing = kind("vanishing envelopes");
  EXPECT_EQ(next(vanishing), std::nullopt);
  add_envelope(kT, 0);
  add_envelope(kT, kT + 5000);
  EXPECT_EQ(next(vanishing), kT + 5000);
  EXPECT_EQ(purge(vanishing, kT + 4999), 0);
  EXPECT_EQ(purge(vanishing, kT + 5000), 1);
  EXPECT_EQ(next(vanishing), std::nullopt);
}

TEST_F(TimedRecordsTest, UndeliveredEnvelopesGoAtTheEndOfTheirRetention) {
  const auto& retention = kind("envelopes past their retention");
  add_envelope(kT, 0);
  add_envelope(kT + 10, 0);
  EXPECT_EQ(next(retention), kT + kDayMs);
  EXPECT_EQ(purge(retention, kT + kDayMs - 1), 0);
  EXPECT_EQ(purge(retention, kT + kDayMs), 1);
  EXPECT_EQ(next(retention), kT + 10 + kDayMs);
  // A reloaded retention period moves the deadline.
  config_.messages.max_retention_days = 2;
  EXPECT_EQ(next(retention), kT + 10 + 2 * kDayMs);
}

TEST_F(TimedRecordsTest, SendRecordsStayWhileTheLongestWindowNeedsThem) {
  const auto& records = kind("send records");
  EXPECT_FALSE(records.secure) << "send records hold no ciphertext";
  store::sends::Record r;
  r.recipient_id = bob_;
  r.result = "{}";
  r.accepted_at = kT;
  ASSERT_TRUE(store::sends::insert(*db_, bob_, 1, std::string(16, 's'), r));
  // The unsend window (2 h) is longer than the dedup window (1 h) and the edit window.
  EXPECT_EQ(next(records), kT + 2 * 3600 * 1000);
  EXPECT_EQ(purge(records, kT + 2 * 3600 * 1000 - 1), 0);
  EXPECT_EQ(purge(records, kT + 2 * 3600 * 1000), 1);
}

}  // namespace
}  // namespace xchat
