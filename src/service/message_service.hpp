#pragma once

#include "app/settings.hpp"
#include "net/session_registry.hpp"
#include "service/call.hpp"
#include "service/clock.hpp"
#include "service/delivery_service.hpp"
#include "service/expiry_scheduler.hpp"
#include "service/wal_checkpointer.hpp"
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
                 Metrics& metrics, net::SessionRegistry& registry, DeliveryService& delivery,
                 ExpiryScheduler& expiry, WalCheckpointer& checkpointer)
      : settings_(settings),
        store_(store),
        clock_(clock),
        metrics_(metrics),
        registry_(registry),
        delivery_(delivery),
        expiry_(expiry),
        checkpointer_(checkpointer),
        sends_(clock) {}

  // send: one envelope per device of the recipient (and, optionally, sync copies for the
  // caller's other devices). Stored sends are idempotent by (device, message_id);
  // ephemeral ones go to online devices only and are never stored. A stored send may
  // vanish (expires_in: every copy is deleted at accepted + expires_in, delivered or
  // not), or edit or unsend an earlier message of the caller's account within
  // messages.edit_window_seconds / unsend_window_seconds; both take the original's
  // expiry, and an unsend deletes the original's undelivered copies at once.
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
  ExpiryScheduler& expiry_;
  WalCheckpointer& checkpointer_;
  RateLimiter sends_;
};

}  // namespace xchat
