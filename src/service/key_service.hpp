#pragma once

#include "app/settings.hpp"
#include "net/session_registry.hpp"
#include "service/call.hpp"
#include "service/clock.hpp"
#include "service/rate_limiter.hpp"
#include "store/store.hpp"

namespace xchat {

// The key directory: devices publish the public keys others need to start an encrypted
// session with them (X3DH: an X25519 identity key, a signed prekey, one-time prekeys), and
// anyone logged in fetches a handle's bundle. The server checks sizes and the identity
// key's signature over the signed prekey; it never sees a private key.
// Handlers run on the calling session's strand.
class KeyService {
 public:
  // A device whose one-time prekeys fall below this after a fetch is told to upload more.
  static constexpr std::int64_t kLowPrekeys = 10;

  KeyService(const Settings& settings, store::Store& store, const Clock& clock,
             net::SessionRegistry& registry)
      : settings_(settings), store_(store), clock_(clock), registry_(registry), fetches_(clock) {}

  // keys.upload: the caller's device publishes its identity DH key and signed prekey
  // (both required on the first upload, and together whenever the identity DH key
  // changes, since the signature covers it), and adds one-time prekeys, at most
  // limits.max_one_time_prekeys held. A new signed prekey replaces the old one. All or
  // nothing: any refusal stores none of the request.
  void upload(const Call& call);

  // keys.fetch: the bundle of every device of a handle that has published keys, each with
  // one one-time prekey removed from the directory as it is handed out (two fetches never
  // get the same one). Pushes prekeys_low to a device left with fewer than kLowPrekeys.
  // limits.key_fetches_per_account_per_minute per caller.
  void fetch(const Call& call);

 private:
  const Settings& settings_;
  store::Store& store_;
  const Clock& clock_;
  net::SessionRegistry& registry_;
  RateLimiter fetches_;
};

}  // namespace xchat
