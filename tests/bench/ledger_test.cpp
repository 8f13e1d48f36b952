#include "load/ledger.hpp"

#include <gtest/gtest.h>

#include "crypto/random.hpp"
#include "xchat/base64.hpp"

namespace xchat::bench {
namespace {

constexpr std::int64_t kAccepted = 1'800'000'000'000;  // a server timestamp, ms

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::init_sodium()); }

  // @a's message number n to @b's devices 1 and 2, accepted with seqs 10n and 10n+1.
  Ledger::Send send(std::uint64_t n, std::int64_t expires_in = 0) {
    Ledger::Send s;
    s.from = "@a";
    s.to = "@b";
    s.message_id = base64_encode(crypto::random_bytes(16));
    s.n = n;
    s.ciphertext = make_crash_ciphertext(s.from, n, "", 16);
    s.devices = {1, 2};
    s.expires_in = expires_in;
    return s;
  }
  std::string accept(const Ledger::Send& s) {
    const std::string key = Ledger::message_key(s.from, s.message_id);
    ledger.attempted(s);
    nlohmann::json result = {
        {"timestamp", kAccepted},
        {"envelopes",
         {{{"device_id", 1}, {"seq", 10 * s.n}}, {{"device_id", 2}, {"seq", 10 * s.n + 1}}}}};
    if (s.expires_in > 0) result["expires_at"] = kAccepted + s.expires_in * 1000;
    ledger.accepted(key, result);
    return key;
  }
  void deliver(const Ledger::Send& s, std::uint32_t device, std::int64_t at = kAccepted + 10,
               std::uint64_t seq = 0) {
    ledger.delivered(Ledger::device_key("@b", device),
                     {{"seq", seq != 0 ? seq : 10 * s.n + device - 1},
                      {"from", s.from},
                      {"message_id", s.message_id},
                      {"ciphertext", base64_encode(s.ciphertext)}},
                     at);
  }
  nlohmann::ordered_json check(std::int64_t drained = kAccepted + 60'000) {
    return ledger.check(drained);
  }
  static std::uint64_t count(const nlohmann::ordered_json& verdict, const char* field) {
    return verdict["summary"][field].get<std::uint64_t>();
  }

  Ledger ledger;
};

TEST_F(LedgerTest, AcceptedAndDeliveredOnceEverywhereIsClean) {
  const auto one = send(1), two = send(2);
  accept(one);
  accept(two);
  for (const auto* s : {&one, &two}) {
    deliver(*s, 1);
    deliver(*s, 2);
  }
  const auto verdict = check();
  EXPECT_EQ(count(verdict, "violations"), 0u) << verdict.dump(1);
  EXPECT_EQ(count(verdict, "envelopes_delivered"), 4u);
}

TEST_F(LedgerTest, AnAcceptedEnvelopeNeverDeliveredIsLost) {
  const auto s = send(1);
  accept(s);
  deliver(s, 1);
  EXPECT_EQ(count(check(), "violations"), 1u);
}

TEST_F(LedgerTest, RedeliveryIsAllowedUntilTheAckIsAnswered) {
  const auto s = send(1);
  accept(s);
  deliver(s, 1);
  deliver(s, 1);  // the connection broke before the ack: the at-least-once window
  deliver(s, 2);
  EXPECT_EQ(count(check(), "violations"), 0u);
  EXPECT_EQ(count(check(), "redelivered_before_ack"), 1u);
  ledger.acked(Ledger::device_key("@b", 1), {10});
  deliver(s, 1);
  EXPECT_EQ(count(check(), "redelivered_after_ack"), 1u);
  EXPECT_EQ(count(check(), "violations"), 1u);
}

TEST_F(LedgerTest, AMessageStoredTwiceIsCaughtByItsSeqs) {
  const auto s = send(1);
  accept(s);
  deliver(s, 1);
  deliver(s, 1, kAccepted + 20, 99);
  deliver(s, 2);
  // Stored twice, and one copy with a seq the result did not give.
  EXPECT_GE(count(check(), "violations"), 1u);
}

TEST_F(LedgerTest, OneSendersMessagesMustComeInOrder) {
  const auto one = send(1), two = send(2);
  accept(one);
  accept(two);
  deliver(two, 1);
  deliver(one, 1);
  deliver(one, 2);
  deliver(two, 2);
  EXPECT_EQ(count(check(), "violations"), 1u);
}

TEST_F(LedgerTest, AVanishedEnvelopeMayBeMissingButNeverLate) {
  const auto s = send(1, 2);
  accept(s);
  deliver(s, 1, kAccepted + 2000 + Ledger::kExpirySlackMs);  // after expires_at
  auto verdict = check();
  EXPECT_EQ(count(verdict, "expired_dropped"), 1u);  // device 2's, after expiring
  EXPECT_EQ(count(verdict, "violations"), 1u);       // device 1's, delivered too late
  // Not yet expired at the final drain: missing means lost.
  EXPECT_EQ(count(ledger.check(kAccepted), "violations"), 2u);
}

TEST_F(LedgerTest, ACiphertextMustArriveAsSent) {
  auto s = send(1);
  accept(s);
  deliver(s, 2);
  s.ciphertext = make_crash_ciphertext(s.from, 1, "", 16);  // other padding
  deliver(s, 1);
  EXPECT_EQ(count(check(), "violations"), 1u);
}

TEST_F(LedgerTest, AttachmentsAreCompleteOrAbsentOnlyWithAVanishingMessage) {
  auto kept = send(1), vanished = send(2, 1);
  kept.attachment = "k";
  vanished.attachment = "v";
  accept(kept);
  accept(vanished);
  deliver(kept, 1);
  deliver(kept, 2);
  ledger.attachment_finished("k", "@a", 10, "d1");
  ledger.attachment_finished("v", "@a", 10, "d2");
  ledger.attachment_checked("v", Ledger::AttachmentFate::kAbsent, "");
  ledger.attachment_checked("k", Ledger::AttachmentFate::kComplete, "");
  EXPECT_EQ(count(check(), "violations"), 0u);
  ledger.attachment_checked("k", Ledger::AttachmentFate::kAbsent, "");
  EXPECT_EQ(count(check(), "violations"), 1u);
  ledger.attachment_checked("v", Ledger::AttachmentFate::kCorrupt, "9 bytes");
  EXPECT_EQ(count(check(), "violations"), 2u);
}

TEST_F(LedgerTest, AnUnknownSendMayArriveOnceAndARetryFindingItCommittedIsCounted) {
  const auto s = send(1);
  const std::string key = Ledger::message_key(s.from, s.message_id);
  ledger.attempted(s);
  deliver(s, 1);
  auto verdict = check();
  EXPECT_EQ(count(verdict, "sends_unknown"), 1u);
  EXPECT_EQ(count(verdict, "unknown_delivered"), 1u);
  EXPECT_EQ(count(verdict, "violations"), 0u);
  ledger.retried(key, kAccepted + 500);
  ledger.accepted(
      key, {{"timestamp", kAccepted},
            {"envelopes", {{{"device_id", 1}, {"seq", 10}}, {{"device_id", 2}, {"seq", 11}}}}});
  deliver(s, 2);
  verdict = check();
  EXPECT_EQ(count(verdict, "retries_found_committed"), 1u);
  EXPECT_EQ(count(verdict, "violations"), 0u);
}

// storage_full is "try again later, unchanged": a deferred send is no violation, and the
// summary shows what happened while the disk was full and after space returned.
TEST_F(LedgerTest, ASendDeferredByAFullDiskIsCountedAndNotAViolation) {
  const auto held = send(1), deferred = send(2), never = send(3);
  accept(held);
  const std::string key = Ledger::message_key(deferred.from, deferred.message_id);
  const std::string never_key = Ledger::message_key(never.from, never.message_id);
  ledger.attempted(deferred);
  ledger.attempted(never);
  EXPECT_FALSE(ledger.storage_full_seen());
  ledger.deferred(key, kAccepted + 100);
  ledger.deferred(never_key, kAccepted + 150);
  EXPECT_TRUE(ledger.storage_full_seen());
  deliver(held, 1, kAccepted + 200);  // while the disk is full
  ledger.retried(key, kAccepted + 300);
  ledger.deferred(key, kAccepted + 300);
  deliver(held, 2, kAccepted + 400);  // after the last storage_full reply
  ledger.retried(key, kAccepted + 500);
  ledger.accepted(key, {{"timestamp", kAccepted + 500},
                        {"envelopes", {{{"device_id", 1}, {"seq", 20}}, {{"device_id", 2}, {"seq", 21}}}}});
  deliver(deferred, 1, kAccepted + 600);
  deliver(deferred, 2, kAccepted + 600);
  const auto verdict = check();
  EXPECT_EQ(count(verdict, "violations"), 0u) << verdict.dump(1);
  EXPECT_EQ(count(verdict, "storage_full_replies"), 3u);
  EXPECT_EQ(count(verdict, "sends_deferred"), 2u);
  EXPECT_EQ(count(verdict, "deferred_then_accepted"), 1u);
  EXPECT_EQ(count(verdict, "delivered_while_full"), 1u);
  EXPECT_EQ(count(verdict, "rewrites"), 2u);
  EXPECT_EQ(count(verdict, "retries_found_committed"), 0u);
}

TEST(CrashCiphertext, CarriesItsNumber) {
  ASSERT_TRUE(crypto::init_sodium());
  EXPECT_EQ(parse_crash_number(make_crash_ciphertext("@a", 42, "ff", 8)), 42u);
  EXPECT_FALSE(parse_crash_number("not one of ours"));
}

}  // namespace
}  // namespace xchat::bench
