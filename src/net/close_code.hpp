#pragma once

#include <cstdint>

namespace xchat::net {

// WebSocket close codes the server sends (docs/protocol.md explains each).
enum class CloseCode : std::uint16_t {
  kGoingAway = 1001,           // server shutting down; reconnect later
  kPolicyViolation = 1008,     // the client stopped reading and its outbound queue overflowed
  kTooBig = 1009,              // a frame over limits.max_frame_bytes
  kRevoked = 4403,             // account suspended or deleted, or this device removed
  kConnectedElsewhere = 4409,  // a newer connection logged in as the same device
};

}  // namespace xchat::net
