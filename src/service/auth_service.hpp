#pragma once

#include "app/settings.hpp"
#include "net/session_registry.hpp"
#include "service/call.hpp"
#include "service/clock.hpp"
#include "service/delivery_service.hpp"
#include "service/rate_limiter.hpp"
#include "store/store.hpp"

namespace xchat {

// Challenge-response login. A nonce is bound to the connection that asked for it, is
// single-use and expires after limits.challenge_ttl_seconds; the client signs
// login_message(server name, handle, device id, nonce) with its device key.
// Handlers run on the calling session's strand.
class AuthService {
 public:
  AuthService(const Settings& settings, store::Store& store, const Clock& clock,
              net::SessionRegistry& registry, Metrics& metrics, DeliveryService& delivery)
      : settings_(settings),
        store_(store),
        clock_(clock),
        registry_(registry),
        metrics_(metrics),
        delivery_(delivery),
        failures_(clock) {}

  // auth.challenge: issues a fresh 32-byte nonce (at most a few outstanding per
  // connection; asking for more forgets the oldest).
  void challenge(const Call& call);

  // auth.login: a failed attempt of any kind costs the client IP one token of
  // limits.login_failures_per_ip_per_minute; with none left every attempt is refused with
  // rate_limited until the bucket refills. Unknown handle and unknown device are the same
  // error, so login cannot be used to probe which handles exist. After the reply, the
  // device's queued envelopes start to flow.
  void login(const Call& call);

 private:
  void fail_attempt(const Call& call, const Status& status);

  const Settings& settings_;
  store::Store& store_;
  const Clock& clock_;
  net::SessionRegistry& registry_;
  Metrics& metrics_;
  DeliveryService& delivery_;
  RateLimiter failures_;
};

}  // namespace xchat
