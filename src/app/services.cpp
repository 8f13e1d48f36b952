#include "app/services.hpp"

namespace xchat {

Services::Services(const Settings& settings, store::Store& store, const Clock& clock,
                   Metrics& metrics, net::SessionRegistry& registry, ExpiryScheduler& expiry,
                   WalCheckpointer& checkpointer)
    : lookup_budget_(clock),
      attachments_(settings, store, clock, metrics, expiry),
      delivery_(settings, store, clock, metrics),
      auth_(settings, store, clock, registry, metrics, delivery_),
      accounts_(settings, store, clock, registry, lookup_budget_),
      keys_(settings, store, clock, registry),
      messages_(settings, store, clock, metrics, registry, delivery_, expiry, checkpointer),
      contacts_(settings, store, clock, lookup_budget_),
      dispatcher_(settings, store, clock, metrics, auth_, accounts_, keys_, messages_, contacts_,
                  attachments_) {}

}  // namespace xchat
