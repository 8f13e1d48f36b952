#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "xchat/status.hpp"

namespace xchat::bench {

// The database of a stopped xchatd, loaded as if one sender had sent `count` vanishing
// messages to a recipient's device that never came online: what the expiry scheduler faces
// at the next start. Written through the server's own store functions (accounts::insert,
// envelopes::allocate_seqs and insert), so every row is one xchatd would have written: the
// queue-length triggers keep devices.queued, and the envelope_seq counter stays above
// every seq.
struct VanishingBacklog {
  std::int64_t count = 0;              // envelopes
  std::size_t ciphertext_bytes = 256;  // of each
  std::int64_t first_deadline = 0;     // unix ms: the first envelope's expires_at
  std::int64_t spread_ms = 0;          // the deadlines are evenly spaced over this much
};

// Registers the sender and the recipient (one device each) and stores the envelopes, all in
// one transaction (one commit instead of a million), then truncates the WAL so the next
// start does not replay it. `cancelled` is asked now and then; when it holds, nothing is
// stored. REQUIRES: the schema migrated (an xchatd started on the directory once) and no
// xchatd running on it.
Status fill_vanishing_backlog(const std::string& data_dir, const VanishingBacklog& backlog,
                              const std::function<bool()>& cancelled);

// Moves every envelope's expires_at `ms` earlier, so a backlog that was pending is overdue at
// the next start. REQUIRES: no xchatd running on the directory.
Status advance_deadlines(const std::string& data_dir, std::int64_t ms);

// What the database holds: envelopes, those of them that vanish, and the devices' queue
// counters summed (equal to the envelopes when the triggers did their work).
struct QueueCount {
  std::int64_t envelopes = 0;
  std::int64_t vanishing = 0;
  std::int64_t queued = 0;
};
Result<QueueCount> count_queue(const std::string& data_dir);

}  // namespace xchat::bench
