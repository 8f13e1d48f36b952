#pragma once

#include "app/settings.hpp"
#include "net/session_registry.hpp"
#include "service/call.hpp"
#include "service/clock.hpp"
#include "service/delivery_service.hpp"
#include "service/rate_limiter.hpp"
#include "store/store.hpp"

namespace xchat {

// Sealed envelopes between handles. The server checks sizes, the recipient's privacy
// setting and block list, and that the send addresses exactly the recipient's current
// devices; it stores every envelope of a send in one group-committed transaction and only
// then answers `accepted`. It never sees plaintext: a ciphertext is opaque bytes.
// Handlers run on the calling session's strand.
class MessageService {
 public:
  MessageService(const Settings& settings, store::Store& store, const Clock& clock,
                 Metrics& metrics, net::SessionRegistry& registry, DeliveryService& delivery)
      : settings_(settings),
        store_(store),
        clock_(clock),
        metrics_(metrics),
        registry_(registry),
        delivery_(delivery),
        sends_(clock) {}

  // send: one envelope per device of the recipient (and, optionally, sync copies for the
  // caller's other devices). Stored sends are idempotent by (device, message_id);
  // ephemeral ones go to online devices only and are never stored.
  void send(const Call& call);

  // ack: the caller's device received these envelopes; they are deleted.
  void ack(const Call& call);

 private:
  // Ephemeral sends: checked like stored ones, then handed to the devices online now.
  void relay_ephemeral(const Call& call, const std::string& recipient_key,
                       std::vector<store::envelopes::Envelope> copies, std::size_t recipient_count,
                       bool has_sync, const std::string& message_id, std::int64_t now);

  const Settings& settings_;
  store::Store& store_;
  const Clock& clock_;
  Metrics& metrics_;
  net::SessionRegistry& registry_;
  DeliveryService& delivery_;
  RateLimiter sends_;
};

}  // namespace xchat
