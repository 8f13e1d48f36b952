#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "app/config.hpp"
#include "metrics/metrics.hpp"
#include "store/database.hpp"

namespace xchat {

// One kind of record the server deletes when its deadline passes, as the ExpiryScheduler
// sees it: where the earliest deadline is, and how to delete what is due. Both run on the
// store writer's connection and must read an index, never scan, so a million pending
// deadlines cost the scheduler nothing but the index itself. Adding a kind of timed
// record is adding one of these.
struct TimedRecords {
  const char* name;  // plural noun, for logs: "vanishing envelopes"

  // The earliest deadline (unix ms) of any record under `config`; nothing when none.
  std::function<Result<std::optional<std::int64_t>>(store::Database&, const Config&)>
      next_deadline;

  // Deletes up to `limit` records whose deadline is at or before `now` (unix ms); returns
  // how many.
  std::function<Result<std::int64_t>(store::Database&, const Config&, std::int64_t now,
                                     std::int64_t limit)>
      purge;

  // Whether deleting them should truncate the WAL at once: they held ciphertext.
  bool secure = true;

  // The metric that counts the deletions, if any.
  std::atomic<std::uint64_t> Metrics::*counter = nullptr;

  // Records per writer operation; 0 for the scheduler's default.
  std::int64_t batch = 0;
};

// The messaging records: vanishing envelopes at their expires_at, undelivered envelopes
// messages.max_retention_days after acceptance, send results once neither the dedup
// window nor the unsend and edit windows need them, and attachments (rows and files) at
// their expires_at: the upload deadline, the retention, or a vanishing message's timer.
std::vector<TimedRecords> messaging_timed_records();

}  // namespace xchat
