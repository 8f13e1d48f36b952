#pragma once

#include "app/settings.hpp"
#include "metrics/metrics.hpp"
#include "net/session_registry.hpp"
#include "service/account_service.hpp"
#include "service/attachment_service.hpp"
#include "service/auth_service.hpp"
#include "service/clock.hpp"
#include "service/contact_service.hpp"
#include "service/delivery_service.hpp"
#include "service/dispatcher.hpp"
#include "service/expiry_scheduler.hpp"
#include "service/key_service.hpp"
#include "service/message_service.hpp"
#include "service/rate_limiter.hpp"
#include "service/wal_checkpointer.hpp"
#include "store/store.hpp"

namespace xchat {

// Every service that answers requests, wired together, and the dispatcher in front of
// them. The Server builds one; so do the fuzz targets (tests/fuzz), which is why the
// wiring lives here and not in the Server: there is one way to put the services together.
// The references must outlive this object. Thread-safe as the services are.
class Services {
 public:
  // REQUIRES: the store is open and the expiry scheduler has purged what expired while
  // the server was down (ExpiryScheduler::purge_now); call
  // attachments().prepare_files() before serving.
  Services(const Settings& settings, store::Store& store, const Clock& clock, Metrics& metrics,
           net::SessionRegistry& registry, ExpiryScheduler& expiry, WalCheckpointer& checkpointer);
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  Dispatcher& dispatcher() { return dispatcher_; }
  AttachmentService& attachments() { return attachments_; }

 private:
  RateLimiter lookup_budget_;  // per account, against handle enumeration
  AttachmentService attachments_;
  DeliveryService delivery_;
  AuthService auth_;
  AccountService accounts_;
  KeyService keys_;
  MessageService messages_;
  ContactService contacts_;
  Dispatcher dispatcher_;
};

}  // namespace xchat
