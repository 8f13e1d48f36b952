#include "store/accounts.hpp"

namespace xchat::store::accounts {

namespace {

constexpr const char* kInsertAccount =
    "INSERT INTO accounts (handle_key, handle, identity_key, created_at) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kCountDevices = "SELECT count(*) FROM devices WHERE account_id = ?1";
constexpr const char* kInsertDevice =
    "INSERT INTO devices (account_id, device_id, device_key, created_at) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kDeleteDevice =
    "DELETE FROM devices WHERE account_id = ?1 AND device_id = ?2";
constexpr const char* kFindByHandle =
    "SELECT id, handle_key, handle, identity_key, created_at, suspended, subscription_until, "
    "who_can_message = 'contacts' FROM accounts WHERE handle_key = ?1";
constexpr const char* kFindById =
    "SELECT id, handle_key, handle, identity_key, created_at, suspended, subscription_until, "
    "who_can_message = 'contacts' FROM accounts WHERE id = ?1";
constexpr const char* kListAccounts =
    "SELECT id, handle_key, handle, identity_key, created_at, suspended, subscription_until, "
    "who_can_message = 'contacts' FROM accounts ORDER BY handle_key";
constexpr const char* kDeviceKey =
    "SELECT device_key FROM devices WHERE account_id = ?1 AND device_id = ?2";
constexpr const char* kDevices =
    "SELECT device_id, device_key, created_at FROM devices WHERE account_id = ?1 "
    "ORDER BY device_id";
constexpr const char* kSetSuspended = "UPDATE accounts SET suspended = ?2 WHERE handle_key = ?1";
constexpr const char* kSetSubscription =
    "UPDATE accounts SET subscription_until = ?2 WHERE handle_key = ?1";
constexpr const char* kDeleteAccount = "DELETE FROM accounts WHERE handle_key = ?1";
constexpr const char* kSetWhoCanMessage = "UPDATE accounts SET who_can_message = ?2 WHERE id = ?1";

Account read_account(const Query& q) {
  Account a;
  a.id = q.column_int(0);
  a.handle_key = q.column_text(1);
  a.handle = q.column_text(2);
  a.identity_key = q.column_blob(3);
  a.created_at = q.column_int(4);
  a.suspended = q.column_int(5) != 0;
  if (!q.column_is_null(6)) a.subscription_until = q.column_int(6);
  a.contacts_only = q.column_int(7) != 0;
  return a;
}

Result<std::optional<Account>> find_one(Database& db, const char* sql, auto bind) {
  Query q = db.query(sql);
  bind(q);
  if (q.step()) return std::optional<Account>(read_account(q));
  if (!q.status()) return q.status();
  return std::optional<Account>();
}

Status update_one(Database& db, const char* sql, const std::string& handle_key, auto bind) {
  Query q = db.query(sql);
  q.bind_text(1, handle_key);
  bind(q);
  if (Status s = q.run(); !s) return s;
  if (db.changes() == 0) return Status(ErrorCode::kNotFound, "no account " + handle_key);
  return Status::ok();
}

}  // namespace

Result<std::int64_t> insert(Database& db, const std::string& handle_key, const std::string& handle,
                            const std::string& identity_key, std::int64_t now) {
  Query q = db.query(kInsertAccount);
  q.bind_text(1, handle_key).bind_text(2, handle).bind_blob(3, identity_key).bind(4, now);
  if (Status s = q.run(); !s) {
    if (q.constraint_failed()) return Status(ErrorCode::kHandleTaken, handle + " is taken");
    return s;
  }
  return db.last_insert_rowid();
}

Status insert_device(Database& db, std::int64_t account_id, const Device& device,
                     std::int64_t max_devices) {
  {
    Query count = db.query(kCountDevices);
    count.bind(1, account_id);
    if (!count.step()) return count.status();
    if (count.column_int(0) >= max_devices) {
      return Status(ErrorCode::kTooManyDevices,
                    "an account may have at most " + std::to_string(max_devices) + " devices");
    }
  }
  Query q = db.query(kInsertDevice);
  q.bind(1, account_id).bind(2, device.device_id).bind_blob(3, device.device_key);
  q.bind(4, device.created_at);
  if (Status s = q.run(); !s) {
    if (q.constraint_failed()) {
      return Status(ErrorCode::kDeviceExists,
                    "device " + std::to_string(device.device_id) + " already exists");
    }
    return s;
  }
  return Status::ok();
}

Status delete_device(Database& db, std::int64_t account_id, std::uint32_t device_id) {
  {
    Query count = db.query(kCountDevices);
    count.bind(1, account_id);
    if (!count.step()) return count.status();
    if (count.column_int(0) <= 1) {
      auto key = device_key(db, account_id, device_id);
      if (!key) return key.status();
      if (!*key) return Status(ErrorCode::kUnknownDevice, "no such device");
      return Status(ErrorCode::kLastDevice, "cannot remove the account's only device");
    }
  }
  Query q = db.query(kDeleteDevice);
  q.bind(1, account_id).bind(2, device_id);
  if (Status s = q.run(); !s) return s;
  if (db.changes() == 0) return Status(ErrorCode::kUnknownDevice, "no such device");
  return Status::ok();
}

Result<std::optional<Account>> find_by_handle(Database& db, const std::string& handle_key) {
  return find_one(db, kFindByHandle, [&](Query& q) { q.bind_text(1, handle_key); });
}

Result<std::optional<Account>> find_by_id(Database& db, std::int64_t id) {
  return find_one(db, kFindById, [&](Query& q) { q.bind(1, id); });
}

Result<Account> caller(Database& db, std::int64_t id) {
  auto account = find_by_id(db, id);
  if (!account) return account.status();
  if (!*account) return Status(ErrorCode::kNotFound, "the account no longer exists");
  return std::move(**account);
}

Result<std::optional<std::string>> device_key(Database& db, std::int64_t account_id,
                                              std::uint32_t device_id) {
  Query q = db.query(kDeviceKey);
  q.bind(1, account_id).bind(2, device_id);
  if (q.step()) return std::optional<std::string>(q.column_blob(0));
  if (!q.status()) return q.status();
  return std::optional<std::string>();
}

Result<std::vector<Device>> devices(Database& db, std::int64_t account_id) {
  Query q = db.query(kDevices);
  q.bind(1, account_id);
  std::vector<Device> out;
  while (q.step()) {
    out.push_back(
        Device{static_cast<std::uint32_t>(q.column_int(0)), q.column_blob(1), q.column_int(2)});
  }
  if (!q.status()) return q.status();
  return out;
}

Result<std::vector<Account>> list(Database& db) {
  Query q = db.query(kListAccounts);
  std::vector<Account> out;
  while (q.step()) out.push_back(read_account(q));
  if (!q.status()) return q.status();
  return out;
}

Status set_suspended(Database& db, const std::string& handle_key, bool suspended) {
  return update_one(db, kSetSuspended, handle_key, [&](Query& q) { q.bind(2, suspended ? 1 : 0); });
}

Status set_subscription(Database& db, const std::string& handle_key,
                        std::optional<std::int64_t> until) {
  return update_one(db, kSetSubscription, handle_key, [&](Query& q) { q.bind_optional(2, until); });
}

Status remove(Database& db, const std::string& handle_key) {
  return update_one(db, kDeleteAccount, handle_key, [](Query&) {});
}

Status set_contacts_only(Database& db, std::int64_t account_id, bool contacts_only) {
  Query q = db.query(kSetWhoCanMessage);
  q.bind(1, account_id).bind_text(2, contacts_only ? "contacts" : "everyone");
  if (Status s = q.run(); !s) return s;
  if (db.changes() == 0) return Status(ErrorCode::kNotFound, "this account was deleted");
  return Status::ok();
}

}  // namespace xchat::store::accounts
