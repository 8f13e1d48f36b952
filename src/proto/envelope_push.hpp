#pragma once

#include <string>

#include "store/envelopes.hpp"

namespace xchat::proto {

// The "envelope" push carrying one envelope to its recipient device. An ephemeral one has
// no seq (it is not stored and is never acknowledged).
std::string encode_envelope_push(const store::envelopes::Envelope& envelope, bool ephemeral);

// The "queue_empty" push: every envelope stored for the device has been sent to it.
const std::string& queue_empty_push();

}  // namespace xchat::proto
