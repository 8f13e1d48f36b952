#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/database.hpp"

// Device queues: the envelopes stored for each device until it acknowledges them. The
// server holds ciphertext only; it cannot read what it stores.
namespace xchat::store::envelopes {

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
  std::string ciphertext;
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

// Up to `limit` envelopes of the device with seq > `after`, in seq order.
Result<std::vector<Envelope>> page(Database& db, std::int64_t account_id, std::uint32_t device_id,
                                   std::int64_t after, std::int64_t limit);

// Deletes the device's envelopes with these seqs; returns how many existed.
Result<std::int64_t> remove(Database& db, std::int64_t account_id, std::uint32_t device_id,
                            const std::vector<std::int64_t>& seqs);

// Deletes every envelope queued for the account's devices from `sender_id` (who was just
// blocked); returns how many.
Result<std::int64_t> remove_from_sender(Database& db, std::int64_t account_id,
                                        std::int64_t sender_id);

// Deletes up to `limit` envelopes accepted before `cutoff` (unix ms); returns how many.
Result<std::int64_t> purge_older_than(Database& db, std::int64_t cutoff, std::int64_t limit);

}  // namespace xchat::store::envelopes
