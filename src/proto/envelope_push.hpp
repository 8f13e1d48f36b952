#pragma once

#include <span>
#include <string>
#include <vector>

#include "store/envelopes.hpp"

namespace xchat::proto {

// A push frame carries at most this many bytes of envelopes, and at least one envelope
// whatever its size: batching saves a frame (a syscall each way) per envelope, and the
// cap keeps what a client must be able to read bounded.
inline constexpr std::size_t kMaxEnvelopeBatchBytes = 256 * 1024;

// One envelope as an item of an "envelopes" push: a JSON object. An ephemeral one has no
// seq (it is not stored and is never acknowledged).
std::string encode_envelope_item(const store::envelopes::Envelope& envelope, bool ephemeral);

// The "envelopes" pushes carrying `items` (from encode_envelope_item), in order: as few as
// kMaxEnvelopeBatchBytes allows, one at least when there are items.
std::vector<std::string> encode_envelopes_pushes(std::span<const std::string> items);

// The "queue_empty" push: every envelope stored for the device has been sent to it.
const std::string& queue_empty_push();

}  // namespace xchat::proto
