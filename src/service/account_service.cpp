#include "service/account_service.hpp"

#include <spdlog/spdlog.h>

#include "crypto/ed25519.hpp"
#include "proto/fields.hpp"
#include "service/subscription.hpp"
#include "store/accounts.hpp"
#include "store/invites.hpp"
#include "xchat/base64.hpp"
#include "xchat/handle.hpp"
#include "xchat/signing.hpp"

namespace xchat {

namespace {

constexpr std::uint32_t kMaxDeviceId = 0x7fffffff;
constexpr std::size_t kMaxInviteChars = 64;

// The "device" object of register and device.add.
struct DeviceBinding {
  std::uint32_t id = 0;
  std::string key;
  std::string signature;
};

Result<DeviceBinding> parse_device(const nlohmann::json& body) {
  auto obj = proto::object_field(body, "device");
  if (!obj) return obj.status();
  auto id = proto::u32_field(**obj, "id", 1, kMaxDeviceId);
  if (!id) return id.status();
  auto key = proto::bytes_field(**obj, "key", crypto::kEd25519PublicKeyBytes);
  if (!key) return key.status();
  auto sig = proto::bytes_field(**obj, "signature", crypto::kEd25519SignatureBytes);
  if (!sig) return sig.status();
  return DeviceBinding{*id, std::move(*key), std::move(*sig)};
}

bool binding_verifies(const DeviceBinding& d, const std::string& handle_key,
                      const std::string& identity_key) {
  return crypto::ed25519_verify(d.signature, device_binding_message(handle_key, d.id, d.key),
                                identity_key);
}

Status bad_binding() {
  return Status(ErrorCode::kBadSignature,
                "device.signature is not the identity key's signature of this device");
}

}  // namespace

void AccountService::register_account(const Call& call) {
  const auto config = settings_.get();
  const auto& body = call.body();
  const auto policy = config->access.registration;
  if (policy == RegistrationPolicy::kClosed) {
    return call.fail(Status(ErrorCode::kRegistrationClosed, "registration is closed"));
  }
  auto handle = proto::handle_field(body, "handle");
  if (!handle) return call.fail(handle.status());
  auto identity_key = proto::bytes_field(body, "identity_key", crypto::kEd25519PublicKeyBytes);
  if (!identity_key) return call.fail(identity_key.status());
  auto device = parse_device(body);
  if (!device) return call.fail(device.status());
  auto invite = proto::optional_string_field(body, "invite", kMaxInviteChars);
  if (!invite) return call.fail(invite.status());
  if (policy == RegistrationPolicy::kInvite && !*invite) {
    return call.fail(Status(ErrorCode::kInviteRequired, "registration needs an invite code"));
  }
  if (!binding_verifies(*device, handle->key, *identity_key)) return call.fail(bad_binding());
  if (!registrations_.try_acquire(
          call.context().client_ip,
          RateLimiter::Rate::per_hour(config->limits.registrations_per_ip_per_hour))) {
    return call.fail(Status(ErrorCode::kRateLimited,
                            "too many registrations from this address; try again later"));
  }

  if (Status s = store_.free_space().admit(); !s) return call.fail(s);
  const std::int64_t now = clock_.unix_seconds();
  const bool needs_invite = policy == RegistrationPolicy::kInvite;
  auto work = [handle = *handle, identity_key = std::move(*identity_key), device = *device,
               invite = std::move(*invite), needs_invite, now](store::Database& db) -> Status {
    auto id = store::accounts::insert(db, handle.key, handle.display, identity_key, now);
    if (!id) return id.status();
    if (needs_invite) {
      if (Status s = store::invites::consume(db, *invite, *id, now); !s) return s;
    }
    return store::accounts::insert_device(db, *id, {device.id, device.key, now}, 1);
  };
  store_.writer().submit(std::move(work), [call, handle = *handle, device_id = device->id,
                                           ip = call.context().client_ip](Status s) {
    call.on_strand([call, s = std::move(s), handle, device_id, ip] {
      if (!s) return call.fail(s);
      spdlog::info("registered {} device {} from {}", handle.display, device_id, ip);
      call.ok({{"handle", handle.display}, {"device_id", device_id}});
    });
  });
}

void AccountService::account_info(const Call& call) {
  const auto& p = *call.context().principal;
  auto reader = store_.readers().acquire();
  if (!reader) return call.fail(reader.status());
  auto account = store::accounts::caller(**reader, p.account_id);
  if (!account) return call.fail(account.status());
  const auto& a = *account;
  call.ok({{"handle", a.handle},
           {"identity_key", base64_encode(a.identity_key)},
           {"device_id", p.device_id},
           {"created_at", a.created_at},
           {"who_can_message", a.contacts_only ? "contacts" : "everyone"},
           {"subscription",
            subscription_json(a.subscription_until, settings_.get()->access.require_subscription,
                              clock_.unix_seconds())}});
}

void AccountService::list_devices(const Call& call) {
  auto reader = store_.readers().acquire();
  if (!reader) return call.fail(reader.status());
  auto devices = store::accounts::devices(**reader, call.context().principal->account_id);
  if (!devices) return call.fail(devices.status());
  auto list = nlohmann::json::array();
  for (const auto& d : *devices) {
    list.push_back(
        {{"id", d.device_id}, {"key", base64_encode(d.device_key)}, {"created_at", d.created_at}});
  }
  call.ok({{"devices", std::move(list)}});
}

void AccountService::add_device(const Call& call) {
  const auto& p = *call.context().principal;
  auto device = parse_device(call.body());
  if (!device) return call.fail(device.status());
  std::string identity_key;
  {
    auto reader = store_.readers().acquire();
    if (!reader) return call.fail(reader.status());
    auto account = store::accounts::caller(**reader, p.account_id);
    if (!account) return call.fail(account.status());
    identity_key = account->identity_key;
  }
  if (!binding_verifies(*device, p.handle_key, identity_key)) return call.fail(bad_binding());
  if (Status s = store_.free_space().admit(); !s) return call.fail(s);
  const std::int64_t max_devices = settings_.get()->limits.max_devices_per_account;
  const std::int64_t now = clock_.unix_seconds();
  store_.writer().submit(
      [account_id = p.account_id, device = *device, now, max_devices](store::Database& db) {
        return store::accounts::insert_device(db, account_id, {device.id, device.key, now},
                                              max_devices);
      },
      [call, device_id = device->id](Status s) {
        call.on_strand([call, s = std::move(s), device_id] {
          if (!s) return call.fail(s);
          call.ok({{"device_id", device_id}});
        });
      });
}

void AccountService::remove_device(const Call& call) {
  const auto& p = *call.context().principal;
  auto device_id = proto::u32_field(call.body(), "device_id", 1, kMaxDeviceId);
  if (!device_id) return call.fail(device_id.status());
  const auto account_id = p.account_id;
  store_.writer().submit(
      [account_id, id = *device_id](store::Database& db) {
        return store::accounts::delete_device(db, account_id, id);
      },
      [this, call, account_id, id = *device_id](Status s) {
        call.on_strand([this, call, s = std::move(s), account_id, id] {
          if (!s) return call.fail(s);
          call.ok({{"device_id", id}});
          if (auto session = registry_.find_device({account_id, id})) {
            session->close(net::CloseCode::kRevoked, "this device was removed");
          }
        });
      });
}

void AccountService::lookup(const Call& call) {
  const auto config = settings_.get();
  auto handle = proto::handle_field(call.body(), "handle");
  if (!handle) return call.fail(handle.status());
  if (!lookups_.try_acquire(
          RateLimiter::account_key(call.context().principal->account_id),
          RateLimiter::Rate::per_minute(config->limits.lookups_per_account_per_minute))) {
    return call.fail(Status(ErrorCode::kRateLimited, "too many lookups; try again later"));
  }
  auto reader = store_.readers().acquire();
  if (!reader) return call.fail(reader.status());
  auto account = store::accounts::find_by_handle(**reader, handle->key);
  if (!account) return call.fail(account.status());
  if (!store::accounts::visible(*account)) return call.ok({{"exists", false}});
  call.ok({{"exists", true},
           {"handle", (*account)->handle},
           {"identity_key", base64_encode((*account)->identity_key)}});
}

}  // namespace xchat
