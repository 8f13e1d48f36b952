#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"

// Device queues: the envelopes stored for each device until it acknowledges them. The
// server holds ciphertext only; it cannot read what it stores.
namespace xchat::store::envelopes {

// What a send is: a message, or an edit or unsend of an earlier message of the same sender.
enum class Kind : std::uint8_t { kMessage = 0, kEdit = 1, kUnsend = 2 };

// Whether something that vanishes at `expires_at` (unix ms; 0 = never) has vanished at `now`.
inline bool expired(std::int64_t expires_at, std::int64_t now) {
  return expires_at != 0 && expires_at <= now;
}

struct Envelope {
  std::int64_t seq = 0;         // server-wide, increasing: a device's queue order
  std::int64_t account_id = 0;  // recipient
  std::uint32_t device_id = 0;
  std::int64_t sender_id = 0;
  std::string sender_handle;  // display form
  std::uint32_t sender_device = 0;
  std::string message_id;        // 16 bytes
  std::int64_t accepted_at = 0;  // unix milliseconds
  bool request = false;          // from a non-contact: a message request
  std::int64_t expires_at = 0;   // unix milliseconds when it vanishes; 0 = never
  Kind kind = Kind::kMessage;
  std::string refers_to;  // an edit's or unsend's original message id (16 bytes)
  std::string ciphertext;

  // Whether it has vanished at `now` (unix ms): never to be delivered again.
  bool expired(std::int64_t now) const { return envelopes::expired(expires_at, now); }
};

// One device of an account: how many envelopes wait for it, and whether it published
// keys (only then can anyone encrypt for it).
struct DeviceQueue {
  std::uint32_t device_id = 0;
  std::int64_t queued = 0;
  bool has_keys = false;
};

// Reserves `n` consecutive seqs and returns the first. REQUIRES: the writer's connection.
Result<std::int64_t> allocate_seqs(Database& db, std::int64_t n);

// Every device of the account, by device id.
Result<std::vector<DeviceQueue>> device_queues(Database& db, std::int64_t account_id);

// kUnknownDevice when the recipient device no longer exists.
Status insert(Database& db, const Envelope& envelope);

// Up to `limit` envelopes of the device with seq > `after`, in seq order, leaving out
// those expired at `now` (unix ms) that the expiry scheduler has not deleted yet.
Result<std::vector<Envelope>> page(Database& db, std::int64_t account_id, std::uint32_t device_id,
                                   std::int64_t after, std::int64_t limit, std::int64_t now);

// Deletes the envelope `seq` if `sender_id` sent it; returns whether it was still queued.
Result<bool> remove_sent(Database& db, std::int64_t seq, std::int64_t sender_id);

// Deletes the device's envelopes with these seqs; returns how many existed.
Result<std::int64_t> remove(Database& db, std::int64_t account_id, std::uint32_t device_id,
                            const std::vector<std::int64_t>& seqs);

// Deletes every envelope queued for the account's devices from `sender_id` (who was just
// blocked); returns how many.
Result<std::int64_t> remove_from_sender(Database& db, std::int64_t account_id,
                                        std::int64_t sender_id);

// Deletes up to `limit` envelopes accepted before `cutoff` (unix ms); returns how many.
Result<std::int64_t> purge_older_than(Database& db, std::int64_t cutoff, std::int64_t limit);

// When the oldest envelope was accepted (unix ms); nothing when no envelope is queued.
Result<std::optional<std::int64_t>> oldest_accepted(Database& db);

// Deletes up to `limit` envelopes whose expires_at is at or before `now`; returns how many.
Result<std::int64_t> purge_expired(Database& db, std::int64_t now, std::int64_t limit);

// The earliest expires_at of any envelope; nothing when none vanishes.
Result<std::optional<std::int64_t>> next_expiry(Database& db);

}  // namespace xchat::store::envelopes
