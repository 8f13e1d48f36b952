#include "store/migrations.hpp"

#include <array>
#include <string>

namespace xchat::store {

namespace {

constexpr const char* kV1Accounts = R"sql(
CREATE TABLE accounts (
  id           INTEGER PRIMARY KEY,
  handle_key   TEXT    NOT NULL UNIQUE,   -- lower-case handle with '@'
  handle       TEXT    NOT NULL,          -- display case as registered
  identity_key BLOB    NOT NULL,          -- Ed25519 public key, 32 bytes
  created_at   INTEGER NOT NULL,          -- unix seconds
  suspended    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE devices (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  device_id  INTEGER NOT NULL,
  device_key BLOB    NOT NULL,            -- Ed25519 public key, 32 bytes
  created_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, device_id)
) STRICT, WITHOUT ROWID;
)sql";

constexpr const char* kV2AccessPolicy = R"sql(
ALTER TABLE accounts ADD COLUMN subscription_until INTEGER;  -- unix seconds, NULL = none
CREATE TABLE invites (
  code       TEXT    PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,                     -- NULL = never
  used_by    INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
  used_at    INTEGER
) STRICT;
CREATE TABLE admin_log (
  id     INTEGER PRIMARY KEY,
  at     INTEGER NOT NULL,
  action TEXT    NOT NULL,
  target TEXT    NOT NULL,
  detail TEXT    NOT NULL
) STRICT;
)sql";

constexpr const char* kV3KeyDirectory = R"sql(
CREATE TABLE device_keys (
  account_id              INTEGER NOT NULL,
  device_id               INTEGER NOT NULL,
  identity_dh_key         BLOB    NOT NULL,  -- X25519 public key, 32 bytes
  signed_prekey_id        INTEGER NOT NULL,
  signed_prekey           BLOB    NOT NULL,  -- X25519 public key, 32 bytes
  signed_prekey_signature BLOB    NOT NULL,  -- by the account identity key, 64 bytes
  updated_at              INTEGER NOT NULL,
  PRIMARY KEY (account_id, device_id),
  FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE TABLE one_time_prekeys (
  account_id INTEGER NOT NULL,
  device_id  INTEGER NOT NULL,
  key_id     INTEGER NOT NULL,
  public_key BLOB    NOT NULL,                 -- X25519 public key, 32 bytes
  PRIMARY KEY (account_id, device_id, key_id),
  FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
)sql";

constexpr std::array<const char*, 3> kMigrations = {kV1Accounts, kV2AccessPolicy, kV3KeyDirectory};

}  // namespace

std::span<const char* const> migrations() { return kMigrations; }

Status migrate(Database& db, std::optional<std::int64_t> target) {
  auto version = db.scalar("PRAGMA user_version");
  if (!version) return version.status();
  const auto latest = static_cast<std::int64_t>(kMigrations.size());
  const std::int64_t goal = target.value_or(latest);
  if (*version > latest) {
    return Status(ErrorCode::kInternal, db.path() + ": schema version " + std::to_string(*version) +
                                            " is newer than this xchatd knows (" +
                                            std::to_string(latest) + "); refusing to open it");
  }
  for (std::int64_t v = *version; v < goal; ++v) {
    Status s = db.transaction([&]() -> Status {
      if (Status step = db.exec(kMigrations[static_cast<std::size_t>(v)]); !step) return step;
      const std::string bump = "PRAGMA user_version=" + std::to_string(v + 1);
      return db.exec(bump.c_str());
    });
    if (!s) {
      return Status(s.code(), "migration to schema version " + std::to_string(v + 1) +
                                  " failed: " + s.message());
    }
  }
  return Status::ok();
}

}  // namespace xchat::store
