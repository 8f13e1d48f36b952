#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"

// The key directory: each device's key-agreement keys (X25519 identity key and signed
// prekey) and its one-time prekeys. Rows go with their device (ON DELETE CASCADE).
namespace xchat::store::keys {

struct SignedPrekey {
  std::uint32_t id = 0;
  std::string key;        // 32 bytes
  std::string signature;  // 64 bytes, by the account identity key
};

struct Prekey {
  std::uint32_t id = 0;
  std::string key;  // 32 bytes
};

struct DeviceKeys {
  std::uint32_t device_id = 0;
  std::string identity_dh_key;  // 32 bytes
  SignedPrekey signed_prekey;
};

// One device's entry in a fetched bundle.
struct BundleEntry {
  DeviceKeys keys;
  std::optional<Prekey> one_time_prekey;  // absent when the device has none left
  std::int64_t one_time_prekeys_left = 0;
};

// The stored identity DH key of a device, if it ever uploaded keys.
Result<std::optional<std::string>> identity_dh_key(Database& db, std::int64_t account_id,
                                                   std::uint32_t device_id);

// Inserts or replaces the device's identity DH key and signed prekey.
Status put_device_keys(Database& db, std::int64_t account_id, const DeviceKeys& keys,
                       std::int64_t now);

// Adds (or replaces, by id) one-time prekeys. kTooLarge, with nothing kept, when the device
// would then hold more than `max`. Returns how many the device holds.
Result<std::int64_t> add_one_time_prekeys(Database& db, std::int64_t account_id,
                                          std::uint32_t device_id,
                                          const std::vector<Prekey>& prekeys, std::int64_t max);

Result<std::int64_t> count_one_time_prekeys(Database& db, std::int64_t account_id,
                                            std::uint32_t device_id);

// The bundle of every device of the account that has keys, ordered by device id, each
// with its lowest-numbered one-time prekey, which is removed. REQUIRES: the writer's
// connection (removal must be serialised so no prekey is handed out twice).
Result<std::vector<BundleEntry>> take_bundle(Database& db, std::int64_t account_id);

}  // namespace xchat::store::keys
