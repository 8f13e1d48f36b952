#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"

// The accounts and devices tables. Functions take the connection to run on: the writer's
// (inside its transaction) for changes, a reader lease for lookups.
namespace xchat::store::accounts {

struct Account {
  std::int64_t id = 0;
  std::string handle_key;    // lower-case, with "@"
  std::string handle;        // display case
  std::string identity_key;  // 32 raw bytes
  std::int64_t created_at = 0;
  bool suspended = false;
  std::optional<std::int64_t> subscription_until;  // unix seconds
  bool contacts_only = false;                      // who_can_message = contacts
};

struct Device {
  std::uint32_t device_id = 0;
  std::string device_key;  // 32 raw bytes
  std::int64_t created_at = 0;
};

// Whether other users may see the account: it exists and is not suspended. user.lookup,
// keys.fetch, send and contacts.add all answer as if a suspended account did not exist.
inline bool visible(const std::optional<Account>& account) {
  return account.has_value() && !account->suspended;
}

// kHandleTaken when the handle exists in any case. Returns the new account id.
Result<std::int64_t> insert(Database& db, const std::string& handle_key, const std::string& handle,
                            const std::string& identity_key, std::int64_t now);

// kDeviceExists when the id is taken, kTooManyDevices past `max_devices`.
Status insert_device(Database& db, std::int64_t account_id, const Device& device,
                     std::int64_t max_devices);

// kUnknownDevice when absent, kLastDevice when it is the account's only one.
Status delete_device(Database& db, std::int64_t account_id, std::uint32_t device_id);

Result<std::optional<Account>> find_by_handle(Database& db, const std::string& handle_key);
Result<std::optional<Account>> find_by_id(Database& db, std::int64_t id);
// The account of a logged-in caller: kNotFound when it was deleted since the login.
Result<Account> caller(Database& db, std::int64_t id);
Result<std::optional<std::string>> device_key(Database& db, std::int64_t account_id,
                                              std::uint32_t device_id);
Result<std::vector<Device>> devices(Database& db, std::int64_t account_id);
Result<std::vector<Account>> list(Database& db);

// Administration. kNotFound when the handle does not exist.
Status set_suspended(Database& db, const std::string& handle_key, bool suspended);
Status set_subscription(Database& db, const std::string& handle_key,
                        std::optional<std::int64_t> until);
Status remove(Database& db, const std::string& handle_key);

// The privacy setting who_can_message: contacts (true) or everyone.
Status set_contacts_only(Database& db, std::int64_t account_id, bool contacts_only);

}  // namespace xchat::store::accounts
