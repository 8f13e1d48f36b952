#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace xchat {

// The logged-in identity of a session.
struct Principal {
  std::int64_t account_id = 0;
  std::string handle_key;
  std::string handle;
  std::uint32_t device_id = 0;
  // Cached from the accounts row; refreshed by the dispatcher every few seconds so admin
  // actions (suspend, revoke) reach live sessions.
  std::optional<std::int64_t> subscription_until;
  std::chrono::steady_clock::time_point refreshed_at;
};

// A login nonce issued on this connection.
struct Challenge {
  std::string nonce;  // 32 raw bytes
  std::chrono::steady_clock::time_point issued_at;
};

// Where a logged-in device's session is in delivering the device's queue (DeliveryService
// moves it on).
struct Inbox {
  bool started = false;    // delivery began (after login)
  bool caught_up = false;  // everything stored was sent; new envelopes go out as accepted
  bool queue_empty_sent = false;
  std::int64_t last_sent = 0;                             // highest seq sent on this connection
  std::unordered_map<std::int64_t, std::size_t> unacked;  // seq -> encoded bytes
  std::size_t unacked_bytes = 0;
  // Envelopes counted as sent but not yet written into a push: they go out together.
  std::vector<std::string> staged;
  bool flush_posted = false;
};

// Per-connection state of the protocol. Owned by the session; touched only on its strand.
struct SessionContext {
  static constexpr std::size_t kMaxOutstandingChallenges = 4;

  // After X-Forwarded-For resolution, as net::limit_key (an IPv6 client counts as its /64);
  // the key of per-address limits, and what logs show.
  std::string client_ip;
  std::optional<Principal> principal;
  std::vector<Challenge> challenges;  // at most kMaxOutstandingChallenges, oldest first
  Inbox inbox;
};

}  // namespace xchat
