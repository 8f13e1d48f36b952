#include "service/key_service.hpp"

#include "crypto/ed25519.hpp"
#include "proto/fields.hpp"
#include "proto/reply.hpp"
#include "store/accounts.hpp"
#include "store/keys.hpp"
#include "xchat/base64.hpp"
#include "xchat/handle.hpp"
#include "xchat/signing.hpp"

namespace xchat {

namespace {

constexpr std::size_t kX25519KeyBytes = 32;
constexpr std::uint32_t kMaxKeyId = 0x7fffffff;

Result<store::keys::Prekey> parse_prekey(const nlohmann::json& obj) {
  if (!obj.is_object()) {
    return Status(ErrorCode::kBadRequest, "field 'one_time_prekeys' must hold objects {id, key}");
  }
  auto id = proto::u32_field(obj, "id", 1, kMaxKeyId);
  if (!id) return id.status();
  auto key = proto::bytes_field(obj, "key", kX25519KeyBytes);
  if (!key) return key.status();
  return store::keys::Prekey{*id, std::move(*key)};
}

Result<std::optional<store::keys::SignedPrekey>> parse_signed_prekey(const nlohmann::json& body) {
  if (!body.contains("signed_prekey")) return std::optional<store::keys::SignedPrekey>();
  auto obj = proto::object_field(body, "signed_prekey");
  if (!obj) return obj.status();
  auto id = proto::u32_field(**obj, "id", 1, kMaxKeyId);
  if (!id) return id.status();
  auto key = proto::bytes_field(**obj, "key", kX25519KeyBytes);
  if (!key) return key.status();
  auto sig = proto::bytes_field(**obj, "signature", crypto::kEd25519SignatureBytes);
  if (!sig) return sig.status();
  return std::optional<store::keys::SignedPrekey>(
      store::keys::SignedPrekey{*id, std::move(*key), std::move(*sig)});
}

Result<std::vector<store::keys::Prekey>> parse_one_time_prekeys(const nlohmann::json& body,
                                                                std::int64_t max) {
  std::vector<store::keys::Prekey> out;
  auto it = body.find("one_time_prekeys");
  if (it == body.end()) return out;
  if (!it->is_array())
    return Status(ErrorCode::kBadRequest, "field 'one_time_prekeys' must be an array");
  if (static_cast<std::int64_t>(it->size()) > max) {
    return Status(ErrorCode::kTooLarge,
                  "at most " + std::to_string(max) + " one-time prekeys per device");
  }
  for (const auto& item : *it) {
    auto p = parse_prekey(item);
    if (!p) return p.status();
    out.push_back(std::move(*p));
  }
  return out;
}

nlohmann::json bundle_json(const store::keys::BundleEntry& e) {
  nlohmann::json device = {{"device_id", e.keys.device_id},
                           {"identity_dh_key", base64_encode(e.keys.identity_dh_key)},
                           {"signed_prekey",
                            {{"id", e.keys.signed_prekey.id},
                             {"key", base64_encode(e.keys.signed_prekey.key)},
                             {"signature", base64_encode(e.keys.signed_prekey.signature)}}}};
  if (e.one_time_prekey) {
    device["one_time_prekey"] = {{"id", e.one_time_prekey->id},
                                 {"key", base64_encode(e.one_time_prekey->key)}};
  }
  return device;
}

}  // namespace

void KeyService::upload(const Call& call) {
  const auto config = settings_.get();
  const auto& body = call.body();
  const Principal& p = *call.context().principal;

  std::optional<std::string> identity_dh;
  if (body.contains("identity_dh_key")) {
    auto key = proto::bytes_field(body, "identity_dh_key", kX25519KeyBytes);
    if (!key) return call.fail(key.status());
    identity_dh = std::move(*key);
  }
  auto signed_prekey = parse_signed_prekey(body);
  if (!signed_prekey) return call.fail(signed_prekey.status());
  const std::int64_t max = config->limits.max_one_time_prekeys;
  auto one_time = parse_one_time_prekeys(body, max);
  if (!one_time) return call.fail(one_time.status());
  if (identity_dh && !*signed_prekey) {
    return call.fail(Status(ErrorCode::kBadRequest,
                            "a new identity_dh_key needs a signed_prekey signed over it"));
  }

  std::string identity_key;
  {
    auto reader = store_.readers().acquire();
    if (!reader) return call.fail(reader.status());
    auto account = store::accounts::caller(**reader, p.account_id);
    if (!account) return call.fail(account.status());
    identity_key = account->identity_key;
    if (!identity_dh) {
      auto stored = store::keys::identity_dh_key(**reader, p.account_id, p.device_id);
      if (!stored) return call.fail(stored.status());
      if (!*stored) {
        return call.fail(Status(ErrorCode::kBadRequest,
                                "the first upload must carry identity_dh_key and signed_prekey"));
      }
      identity_dh = std::move(**stored);
    }
  }
  if (*signed_prekey) {
    const auto& sp = **signed_prekey;
    const std::string message =
        signed_prekey_message(p.handle_key, p.device_id, *identity_dh, sp.id, sp.key);
    if (!crypto::ed25519_verify(sp.signature, message, identity_key)) {
      return call.fail(Status(ErrorCode::kBadSignature,
                              "signed_prekey.signature is not the identity key's signature"));
    }
  }

  if (Status s = store_.free_space().admit(); !s) return call.fail(s);
  auto count = std::make_shared<std::int64_t>(0);
  store::keys::DeviceKeys device_keys;
  if (*signed_prekey) device_keys = {p.device_id, *identity_dh, **signed_prekey};
  store_.writer().submit(
      [account_id = p.account_id, device_id = p.device_id, device_keys,
       put_keys = signed_prekey->has_value(), one_time = std::move(*one_time), max, count,
       now = clock_.unix_seconds()](store::Database& db) -> Status {
        if (put_keys) {
          if (Status s = store::keys::put_device_keys(db, account_id, device_keys, now); !s)
            return s;
        }
        auto n = store::keys::add_one_time_prekeys(db, account_id, device_id, one_time, max);
        if (!n) return n.status();
        *count = *n;
        return Status::ok();
      },
      [call, count](Status s) {
        call.on_strand([call, s = std::move(s), count] {
          if (!s) return call.fail(s);
          call.ok({{"one_time_prekeys", *count}});
        });
      });
}

void KeyService::fetch(const Call& call) {
  const auto config = settings_.get();
  auto handle = proto::handle_field(call.body(), "handle");
  if (!handle) return call.fail(handle.status());
  if (!fetches_.try_acquire(
          RateLimiter::account_key(call.context().principal->account_id),
          RateLimiter::Rate::per_minute(config->limits.key_fetches_per_account_per_minute))) {
    return call.fail(Status(ErrorCode::kRateLimited, "too many key fetches; try again later"));
  }
  std::optional<store::accounts::Account> account;
  {
    auto reader = store_.readers().acquire();
    if (!reader) return call.fail(reader.status());
    auto found = store::accounts::find_by_handle(**reader, handle->key);
    if (!found) return call.fail(found.status());
    account = std::move(*found);
  }
  if (!store::accounts::visible(account)) {
    return call.fail(Status(ErrorCode::kNotFound, "no such handle"));
  }

  auto bundle = std::make_shared<std::vector<store::keys::BundleEntry>>();
  store_.writer().submit(
      [account_id = account->id, bundle](store::Database& db) -> Status {
        auto taken = store::keys::take_bundle(db, account_id);
        if (!taken) return taken.status();
        *bundle = std::move(*taken);
        return Status::ok();
      },
      [this, call, bundle, account = *account](Status s) {
        call.on_strand([this, call, s = std::move(s), bundle, account] {
          if (!s) return call.fail(s);
          auto devices = nlohmann::json::array();
          for (const auto& e : *bundle) devices.push_back(bundle_json(e));
          call.ok({{"handle", account.handle},
                   {"identity_key", base64_encode(account.identity_key)},
                   {"devices", std::move(devices)}});
          for (const auto& e : *bundle) {
            if (!e.one_time_prekey || e.one_time_prekeys_left >= kLowPrekeys) continue;
            if (auto owner = registry_.find_device({account.id, e.keys.device_id})) {
              owner->send(std::make_shared<const std::string>(
                  proto::encode_push("prekeys_low", {{"remaining", e.one_time_prekeys_left}})));
            }
          }
        });
      });
}

}  // namespace xchat
