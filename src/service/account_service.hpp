#pragma once

#include "app/settings.hpp"
#include "net/session_registry.hpp"
#include "service/call.hpp"
#include "service/clock.hpp"
#include "service/rate_limiter.hpp"
#include "store/store.hpp"

namespace xchat {

// Accounts and their devices: registration under the access policy, device management,
// the caller's own account, and handle lookup. Handlers run on the calling session's
// strand; writes go through the store writer and answer only after COMMIT.
class AccountService {
 public:
  // `lookups` is the per-account budget against handle enumeration, shared with every
  // other request that reveals whether a handle exists.
  AccountService(const Settings& settings, store::Store& store, const Clock& clock,
                 net::SessionRegistry& registry, RateLimiter& lookups)
      : settings_(settings),
        store_(store),
        clock_(clock),
        registry_(registry),
        registrations_(clock),
        lookups_(lookups) {}

  // register: binds a new handle to an identity key and a first device whose key the
  // identity key signed. Obeys access.registration (open, invite, closed); each
  // well-formed attempt costs the client IP one of limits.registrations_per_ip_per_hour.
  // Does not log in: the client logs in next, proving it holds the device key.
  void register_account(const Call& call);

  // account.info: the caller's handle, identity key, device and subscription state.
  void account_info(const Call& call);

  // device.list: every device of the caller's account.
  void list_devices(const Call& call);
  // device.add: a new device vouched for by the identity key (signature over
  // device_binding_message); at most limits.max_devices_per_account.
  void add_device(const Call& call);
  // device.remove: deletes a device (never the last one) and closes its session, if any,
  // with 4403 — including the caller's own, after the reply.
  void remove_device(const Call& call);

  // user.lookup: whether a handle exists, its display case and identity key; nothing
  // else. limits.lookups_per_account_per_minute against enumeration.
  void lookup(const Call& call);

 private:
  const Settings& settings_;
  store::Store& store_;
  const Clock& clock_;
  net::SessionRegistry& registry_;
  RateLimiter registrations_;
  RateLimiter& lookups_;
};

}  // namespace xchat
