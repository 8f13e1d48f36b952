#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/envelopes.hpp"

// What each accepted send was answered, so a retry (same sending device and message id)
// gets the same answer and stores nothing twice; and what unsend and edit check about the
// message they name. Kept for messages.dedup_window_hours, or longer when the unsend or
// edit window needs it.
namespace xchat::store::sends {

struct Record {
  std::int64_t recipient_id = 0;
  std::string result;            // the reply's result object as JSON text (seqs, never ciphertext)
  std::int64_t accepted_at = 0;  // unix milliseconds
  envelopes::Kind kind = envelopes::Kind::kMessage;
  std::string refers_to;        // an edit's or unsend's original message id
  std::int64_t expires_at = 0;  // unix milliseconds when the message vanishes; 0 = never
  bool retracted = false;       // the message was unsent
};

// A message of an account, whichever of its devices sent it.
struct Sent {
  std::uint32_t sender_device = 0;
  Record record;
};

Result<std::optional<Record>> find(Database& db, std::int64_t sender_id,
                                   std::uint32_t sender_device, const std::string& message_id);

// The send `message_id` from any current device of `sender_id`.
Result<std::optional<Sent>> find_by_account(Database& db, std::int64_t sender_id,
                                            const std::string& message_id);

// The results of every edit `sender_id` sent of its message `message_id`.
Result<std::vector<std::string>> edit_results(Database& db, std::int64_t sender_id,
                                              const std::string& message_id);

Status insert(Database& db, std::int64_t sender_id, std::uint32_t sender_device,
              const std::string& message_id, const Record& record);

// Records that the message was unsent: it can be neither unsent nor edited again.
Status mark_retracted(Database& db, std::int64_t sender_id, std::uint32_t sender_device,
                      const std::string& message_id);

// Deletes up to `limit` records accepted before `cutoff` (unix ms); returns how many.
Result<std::int64_t> purge_older_than(Database& db, std::int64_t cutoff, std::int64_t limit);

// When the oldest record was accepted (unix ms); nothing when there is none.
Result<std::optional<std::int64_t>> oldest_accepted(Database& db);

}  // namespace xchat::store::sends
