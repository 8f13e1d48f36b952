#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/database.hpp"

// What each accepted send was answered, so a retry (same sending device and message id)
// gets the same answer and stores nothing twice. Kept for messages.dedup_window_hours.
namespace xchat::store::sends {

struct Record {
  std::int64_t recipient_id = 0;
  std::string result;  // the reply's result object as JSON text (seqs, never ciphertext)
};

Result<std::optional<Record>> find(Database& db, std::int64_t sender_id,
                                   std::uint32_t sender_device, const std::string& message_id);

Status insert(Database& db, std::int64_t sender_id, std::uint32_t sender_device,
              const std::string& message_id, std::int64_t accepted_at, const Record& record);

// Deletes up to `limit` records accepted before `cutoff` (unix ms); returns how many.
Result<std::int64_t> purge_older_than(Database& db, std::int64_t cutoff, std::int64_t limit);

}  // namespace xchat::store::sends
