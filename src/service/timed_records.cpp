#include "service/timed_records.hpp"

#include <algorithm>

#include "store/attachment_files.hpp"
#include "store/attachments.hpp"
#include "store/envelopes.hpp"
#include "store/sends.hpp"

namespace xchat {

namespace {

constexpr std::int64_t kMillisPerSecond = 1000;
constexpr std::int64_t kMillisPerHour = 3600 * kMillisPerSecond;
// Each costs an unlink as well as its rows: fewer per writer operation than other records.
constexpr std::int64_t kAttachmentBatch = 256;

std::int64_t retention_ms(const Config& c) {
  return c.messages.max_retention_days * 24 * kMillisPerHour;
}

// Unsend and edit look the original up in its send record, so it stays while they may.
std::int64_t send_record_keep_ms(const Config& c) {
  return std::max({c.messages.dedup_window_hours * kMillisPerHour,
                   c.messages.unsend_window_seconds * kMillisPerSecond,
                   c.messages.edit_window_seconds * kMillisPerSecond});
}

// The deadline of the oldest record when records live `keep_ms` after acceptance.
Result<std::optional<std::int64_t>> oldest_plus(Result<std::optional<std::int64_t>> oldest,
                                                std::int64_t keep_ms) {
  if (!oldest || !*oldest) return oldest;
  return std::optional<std::int64_t>(**oldest + keep_ms);
}

}  // namespace

std::vector<TimedRecords> messaging_timed_records() {
  return {
      {"vanishing envelopes",
       [](store::Database& db, const Config&) { return store::envelopes::next_expiry(db); },
       [](store::Database& db, const Config&, std::int64_t now, std::int64_t limit) {
         return store::envelopes::purge_expired(db, now, limit);
       },
       /*secure=*/true, &Metrics::envelopes_expired},
      {"envelopes past their retention",
       [](store::Database& db, const Config& c) {
         return oldest_plus(store::envelopes::oldest_accepted(db), retention_ms(c));
       },
       [](store::Database& db, const Config& c, std::int64_t now, std::int64_t limit) {
         // accepted_at < now - retention, so an envelope goes at accepted_at + retention + 1ms
         // at the earliest: the deadline above, rounded up.
         return store::envelopes::purge_older_than(db, now - retention_ms(c) + 1, limit);
       },
       /*secure=*/true, &Metrics::envelopes_expired},
      {"send records",
       [](store::Database& db, const Config& c) {
         return oldest_plus(store::sends::oldest_accepted(db), send_record_keep_ms(c));
       },
       [](store::Database& db, const Config& c, std::int64_t now, std::int64_t limit) {
         return store::sends::purge_older_than(db, now - send_record_keep_ms(c) + 1, limit);
       },
       /*secure=*/false},
      // An attachment's row holds no ciphertext (its file does), so no WAL truncation. The
      // file goes inside the operation: should the commit then fail, the row stays due and
      // the next pass deletes it, finding its file gone already.
      {"attachments",
       [](store::Database& db, const Config&) { return store::attachments::next_expiry(db); },
       [](store::Database& db, const Config& c, std::int64_t now,
          std::int64_t limit) -> Result<std::int64_t> {
         auto due = store::attachments::due(db, now, limit);
         if (!due) return due.status();
         const auto files = store::AttachmentFiles::under(c.server.data_dir);
         for (const std::string& id : *due) {
           if (auto removed = store::attachments::remove(db, id); !removed) {
             return removed.status();
           }
           if (Status s = files.remove(id); !s) return s;
         }
         return static_cast<std::int64_t>(due->size());
       },
       /*secure=*/false, &Metrics::attachments_deleted, kAttachmentBatch},
  };
}

}  // namespace xchat
