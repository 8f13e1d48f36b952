#include "store/keys.hpp"

namespace xchat::store::keys {

namespace {

constexpr const char* kIdentityDhKey =
    "SELECT identity_dh_key FROM device_keys WHERE account_id = ?1 AND device_id = ?2";
constexpr const char* kPutDeviceKeys =
    "INSERT INTO device_keys (account_id, device_id, identity_dh_key, signed_prekey_id, "
    "signed_prekey, signed_prekey_signature, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (account_id, device_id) DO UPDATE SET identity_dh_key = excluded.identity_dh_key, "
    "signed_prekey_id = excluded.signed_prekey_id, signed_prekey = excluded.signed_prekey, "
    "signed_prekey_signature = excluded.signed_prekey_signature, updated_at = excluded.updated_at";
constexpr const char* kPutOneTime =
    "INSERT OR REPLACE INTO one_time_prekeys (account_id, device_id, key_id, public_key) "
    "VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kCountOneTime =
    "SELECT count(*) FROM one_time_prekeys WHERE account_id = ?1 AND device_id = ?2";
constexpr const char* kDevicesWithKeys =
    "SELECT device_id, identity_dh_key, signed_prekey_id, signed_prekey, signed_prekey_signature "
    "FROM device_keys WHERE account_id = ?1 ORDER BY device_id";
constexpr const char* kTakeOneTime =
    "DELETE FROM one_time_prekeys WHERE account_id = ?1 AND device_id = ?2 AND key_id = "
    "(SELECT min(key_id) FROM one_time_prekeys WHERE account_id = ?1 AND device_id = ?2) "
    "RETURNING key_id, public_key";

}  // namespace

Result<std::optional<std::string>> identity_dh_key(Database& db, std::int64_t account_id,
                                                   std::uint32_t device_id) {
  Query q = db.query(kIdentityDhKey);
  q.bind(1, account_id).bind(2, device_id);
  if (q.step()) return std::optional<std::string>(q.column_blob(0));
  if (!q.status()) return q.status();
  return std::optional<std::string>();
}

Status put_device_keys(Database& db, std::int64_t account_id, const DeviceKeys& keys,
                       std::int64_t now) {
  Query q = db.query(kPutDeviceKeys);
  q.bind(1, account_id).bind(2, keys.device_id).bind_blob(3, keys.identity_dh_key);
  q.bind(4, keys.signed_prekey.id).bind_blob(5, keys.signed_prekey.key);
  q.bind_blob(6, keys.signed_prekey.signature).bind(7, now);
  if (Status s = q.run(); !s) {
    if (q.constraint_failed()) return Status(ErrorCode::kUnknownDevice, "no such device");
    return s;
  }
  return Status::ok();
}

Result<std::int64_t> count_one_time_prekeys(Database& db, std::int64_t account_id,
                                            std::uint32_t device_id) {
  Query q = db.query(kCountOneTime);
  q.bind(1, account_id).bind(2, device_id);
  if (!q.step()) return q.status();
  return q.column_int(0);
}

Result<std::int64_t> add_one_time_prekeys(Database& db, std::int64_t account_id,
                                          std::uint32_t device_id,
                                          const std::vector<Prekey>& prekeys, std::int64_t max) {
  for (const auto& p : prekeys) {
    Query q = db.query(kPutOneTime);
    q.bind(1, account_id).bind(2, device_id).bind(3, p.id).bind_blob(4, p.key);
    if (Status s = q.run(); !s) {
      if (q.constraint_failed()) return Status(ErrorCode::kUnknownDevice, "no such device");
      return s;
    }
  }
  auto count = count_one_time_prekeys(db, account_id, device_id);
  if (!count) return count.status();
  if (*count > max) {
    // The writer rolls this operation back: nothing of the upload is kept.
    return Status(ErrorCode::kTooLarge, "a device may hold at most " + std::to_string(max) +
                                            " one-time prekeys; it would hold " +
                                            std::to_string(*count));
  }
  return *count;
}

Result<std::vector<BundleEntry>> take_bundle(Database& db, std::int64_t account_id) {
  std::vector<BundleEntry> out;
  {
    Query q = db.query(kDevicesWithKeys);
    q.bind(1, account_id);
    while (q.step()) {
      BundleEntry e;
      e.keys.device_id = static_cast<std::uint32_t>(q.column_int(0));
      e.keys.identity_dh_key = q.column_blob(1);
      e.keys.signed_prekey = {static_cast<std::uint32_t>(q.column_int(2)), q.column_blob(3),
                              q.column_blob(4)};
      out.push_back(std::move(e));
    }
    if (!q.status()) return q.status();
  }
  for (auto& e : out) {
    {
      Query take = db.query(kTakeOneTime);
      take.bind(1, account_id).bind(2, e.keys.device_id);
      if (take.step()) {
        e.one_time_prekey =
            Prekey{static_cast<std::uint32_t>(take.column_int(0)), take.column_blob(1)};
        take.run();  // finish the statement so the delete completes
      }
      if (!take.status()) return take.status();
    }
    auto left = count_one_time_prekeys(db, account_id, e.keys.device_id);
    if (!left) return left.status();
    e.one_time_prekeys_left = *left;
  }
  return out;
}

}  // namespace xchat::store::keys
