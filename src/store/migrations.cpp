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

// Envelopes take their seq from one server-wide counter (counters.envelope_seq), so a
// device's queue is ordered by seq and a seq is never reused, even after its envelope was
// acknowledged and deleted. devices.queued mirrors each device's queue length (kept by the
// triggers) so a send checks the queue limit without counting rows.
constexpr const char* kV4Messaging = R"sql(
ALTER TABLE accounts ADD COLUMN who_can_message TEXT NOT NULL DEFAULT 'everyone'
  CHECK (who_can_message IN ('everyone', 'contacts'));
ALTER TABLE devices ADD COLUMN queued INTEGER NOT NULL DEFAULT 0;
CREATE TABLE counters (
  name  TEXT    PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('envelope_seq', 0);
CREATE TABLE envelopes (
  seq           INTEGER PRIMARY KEY,
  account_id    INTEGER NOT NULL,          -- recipient
  device_id     INTEGER NOT NULL,
  sender_id     INTEGER NOT NULL,          -- no foreign key: a deleted sender's mail still arrives
  sender_handle TEXT    NOT NULL,          -- display form
  sender_device INTEGER NOT NULL,
  message_id    BLOB    NOT NULL,          -- 16 bytes, chosen by the sender
  accepted_at   INTEGER NOT NULL,          -- unix milliseconds
  flags         INTEGER NOT NULL,          -- 1 = message request
  ciphertext    BLOB    NOT NULL,
  FOREIGN KEY (account_id, device_id) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX envelopes_by_device ON envelopes(account_id, device_id);
CREATE INDEX envelopes_by_age ON envelopes(accepted_at);
CREATE TRIGGER envelopes_queued_in AFTER INSERT ON envelopes BEGIN
  UPDATE devices SET queued = queued + 1
   WHERE account_id = NEW.account_id AND device_id = NEW.device_id;
END;
CREATE TRIGGER envelopes_queued_out AFTER DELETE ON envelopes BEGIN
  UPDATE devices SET queued = queued - 1
   WHERE account_id = OLD.account_id AND device_id = OLD.device_id;
END;
CREATE TABLE sends (
  sender_id     INTEGER NOT NULL,
  sender_device INTEGER NOT NULL,
  message_id    BLOB    NOT NULL,
  recipient_id  INTEGER NOT NULL,
  accepted_at   INTEGER NOT NULL,          -- unix milliseconds
  result        TEXT    NOT NULL,          -- the accepted reply's result (seqs, no ciphertext)
  PRIMARY KEY (sender_id, sender_device, message_id),
  FOREIGN KEY (sender_id, sender_device) REFERENCES devices(account_id, device_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX sends_by_age ON sends(accepted_at);
CREATE TABLE contacts (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  contact_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  added_at   INTEGER NOT NULL,             -- unix milliseconds
  PRIMARY KEY (account_id, contact_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX contacts_by_contact ON contacts(contact_id);
CREATE TABLE blocks (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  blocked_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  blocked_at INTEGER NOT NULL,             -- unix milliseconds
  PRIMARY KEY (account_id, blocked_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX blocks_by_blocked ON blocks(blocked_id);
)sql";

// Vanishing messages, unsend and edit. An envelope's expires_at is when it is deleted,
// delivered or not; the partial index holds only envelopes that vanish, so ordinary sends
// pay nothing for it, and the expiry scheduler reads the earliest deadline from it in
// O(log n). refers_to is the message id an edit or unsend refers to (flags say which).
// Send records keep what unsend and edit check: the kind, the reference, the expiry, and
// whether the message was unsent.
constexpr const char* kV5Vanishing = R"sql(
ALTER TABLE envelopes ADD COLUMN expires_at INTEGER;  -- unix milliseconds; NULL = never
ALTER TABLE envelopes ADD COLUMN refers_to BLOB;      -- 16 bytes, on edits and unsends
CREATE INDEX envelopes_by_expiry ON envelopes(expires_at) WHERE expires_at IS NOT NULL;
ALTER TABLE sends ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;  -- 0 message, 1 edit, 2 unsend
ALTER TABLE sends ADD COLUMN refers_to BLOB;
ALTER TABLE sends ADD COLUMN expires_at INTEGER;
ALTER TABLE sends ADD COLUMN retracted INTEGER NOT NULL DEFAULT 0;  -- 1 = unsent
CREATE INDEX sends_by_reference ON sends(sender_id, refers_to) WHERE refers_to IS NOT NULL;
)sql";

// Attachments: ciphertext files under <data_dir>/attachments, one row each. expires_at is
// the upload deadline until the upload completes, then when the attachment is deleted;
// one index serves the expiry scheduler for both. size is the declared size, which the
// quota counts from creation on. A grant lets a device that a send carrying the attachment
// was stored for download it.
constexpr const char* kV6Attachments = R"sql(
CREATE TABLE attachments (
  id BLOB PRIMARY KEY,                    -- 16 random bytes
  owner_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  size INTEGER NOT NULL,                  -- bytes of ciphertext, as declared at creation
  created_at INTEGER NOT NULL,            -- unix milliseconds
  expires_at INTEGER NOT NULL,            -- unix milliseconds
  complete INTEGER NOT NULL DEFAULT 0     -- 1 once every byte is on disk
) STRICT, WITHOUT ROWID;
CREATE INDEX attachments_by_owner ON attachments(owner_id, complete, size);
CREATE INDEX attachments_by_expiry ON attachments(expires_at);
CREATE TABLE attachment_grants (
  attachment_id BLOB NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL,
  device_id INTEGER NOT NULL,
  PRIMARY KEY (attachment_id, account_id, device_id)
) STRICT, WITHOUT ROWID;
)sql";

constexpr std::array<const char*, 6> kMigrations = {kV1Accounts,     kV2AccessPolicy,
                                                    kV3KeyDirectory, kV4Messaging,
                                                    kV5Vanishing,    kV6Attachments};

}  // namespace

std::span<const char* const> migrations() { return kMigrations; }

Status migrate(Database& db, std::optional<std::int64_t> target) {
  return apply_steps(db, kMigrations, "xchatd", target);
}

Status apply_steps(Database& db, std::span<const char* const> steps, std::string_view program,
                   std::optional<std::int64_t> target) {
  auto version = db.scalar("PRAGMA user_version");
  if (!version) return version.status();
  const auto latest = static_cast<std::int64_t>(steps.size());
  const std::int64_t goal = target.value_or(latest);
  if (*version > latest) {
    return Status(ErrorCode::kInternal, db.path() + ": schema version " + std::to_string(*version) +
                                            " is newer than this " + std::string(program) +
                                            " knows (" + std::to_string(latest) +
                                            "); refusing to open it");
  }
  for (std::int64_t v = *version; v < goal; ++v) {
    Status s = db.transaction([&]() -> Status {
      if (Status step = db.exec(steps[static_cast<std::size_t>(v)]); !step) return step;
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
