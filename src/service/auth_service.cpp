#include "service/auth_service.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "crypto/ed25519.hpp"
#include "crypto/random.hpp"
#include "proto/fields.hpp"
#include "service/subscription.hpp"
#include "store/accounts.hpp"
#include "xchat/base64.hpp"
#include "xchat/handle.hpp"
#include "xchat/signing.hpp"

namespace xchat {

namespace {

constexpr std::size_t kNonceBytes = 32;
constexpr std::uint32_t kMaxDeviceId = 0x7fffffff;

RateLimiter::Rate failure_rate(const Config& c) {
  return RateLimiter::Rate::per_minute(c.limits.login_failures_per_ip_per_minute);
}

}  // namespace

void AuthService::challenge(const Call& call) {
  const auto config = settings_.get();
  auto& ctx = call.context();
  if (ctx.challenges.size() >= SessionContext::kMaxOutstandingChallenges) {
    ctx.challenges.erase(ctx.challenges.begin());
  }
  ctx.challenges.push_back({crypto::random_bytes(kNonceBytes), std::chrono::steady_clock::now()});
  call.ok({{"nonce", base64_encode(ctx.challenges.back().nonce)},
           {"server", config->server.name},
           {"expires_in", config->limits.challenge_ttl_seconds}});
}

void AuthService::fail_attempt(const Call& call, const Status& status) {
  // The operator's view of brute force; never the handle text (client-chosen bytes).
  spdlog::info("login refused from {}: {}", call.context().client_ip, to_string(status.code()));
  failures_.try_acquire(call.context().client_ip, failure_rate(*settings_.get()));
  call.fail(status);
}

void AuthService::login(const Call& call) {
  const auto config = settings_.get();
  auto& ctx = call.context();
  if (!failures_.allowed(ctx.client_ip, failure_rate(*config))) {
    return call.fail(Status(ErrorCode::kRateLimited,
                            "too many failed logins from this address; try again later"));
  }
  const auto& body = call.body();
  auto handle_text = proto::string_field(body, "handle", kMaxHandleFieldBytes);
  if (!handle_text) return fail_attempt(call, handle_text.status());
  auto device_id = proto::u32_field(body, "device_id", 1, kMaxDeviceId);
  if (!device_id) return fail_attempt(call, device_id.status());
  auto nonce = proto::bytes_field(body, "nonce", kNonceBytes);
  if (!nonce) return fail_attempt(call, nonce.status());
  auto signature = proto::bytes_field(body, "signature", crypto::kEd25519SignatureBytes);
  if (!signature) return fail_attempt(call, signature.status());

  auto it = std::find_if(ctx.challenges.begin(), ctx.challenges.end(), [&](const Challenge& c) {
    return sodium_memcmp(c.nonce.data(), nonce->data(), kNonceBytes) == 0;
  });
  if (it == ctx.challenges.end()) {
    return fail_attempt(call, Status(ErrorCode::kNonceUnknown,
                                     "the nonce was not issued on this connection or was used"));
  }
  const auto issued_at = it->issued_at;
  ctx.challenges.erase(it);  // single-use, whatever the outcome
  if (std::chrono::steady_clock::now() - issued_at >
      std::chrono::seconds(config->limits.challenge_ttl_seconds)) {
    return fail_attempt(call,
                        Status(ErrorCode::kNonceExpired, "the nonce expired; ask for a new one"));
  }

  const Status unknown(ErrorCode::kUnknownDevice, "no such handle and device");
  auto handle = parse_handle(*handle_text);
  if (!handle) return fail_attempt(call, unknown);

  auto reader = store_.readers().acquire();
  if (!reader) return call.fail(reader.status());
  auto account = store::accounts::find_by_handle(**reader, handle->key);
  if (!account) return call.fail(account.status());
  if (!*account) return fail_attempt(call, unknown);
  auto key = store::accounts::device_key(**reader, (*account)->id, *device_id);
  if (!key) return call.fail(key.status());
  if (!*key) return fail_attempt(call, unknown);

  const std::string message = login_message(config->server.name, handle->key, *device_id, *nonce);
  if (!crypto::ed25519_verify(*signature, message, **key)) {
    return fail_attempt(call,
                        Status(ErrorCode::kBadSignature, "the login signature does not verify"));
  }
  const auto& acct = **account;
  if (acct.suspended) {
    return call.fail(Status(ErrorCode::kAccountSuspended, "this account is suspended"));
  }

  ctx.principal = Principal{acct.id,    acct.handle_key,         acct.handle,
                            *device_id, acct.subscription_until, std::chrono::steady_clock::now()};
  ctx.challenges.clear();
  metrics_.sessions_authenticated.fetch_add(1, std::memory_order_relaxed);
  if (auto older = registry_.bind_device({acct.id, *device_id}, call.peer())) {
    older->close(net::CloseCode::kConnectedElsewhere, "this device connected elsewhere");
  }
  spdlog::info("login {} device {} from {}", acct.handle, *device_id, ctx.client_ip);
  call.ok({{"handle", acct.handle},
           {"device_id", *device_id},
           {"subscription",
            subscription_json(acct.subscription_until, config->access.require_subscription,
                              clock_.unix_seconds())}});
  delivery_.start(call.peer());
}

}  // namespace xchat
