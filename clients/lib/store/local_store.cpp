#include "store/local_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/database.hpp"
#include "store/migrations.hpp"

namespace xchat::client {

namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, sealed BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS one_time_prekeys (id INTEGER PRIMARY KEY, sealed BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions (handle TEXT NOT NULL, device INTEGER NOT NULL,"
    " sealed BLOB NOT NULL, PRIMARY KEY (handle, device));"
    "CREATE TABLE IF NOT EXISTS identities (handle TEXT PRIMARY KEY, identity_key BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY, peer TEXT NOT NULL,"
    " direction INTEGER NOT NULL, message_id BLOB NOT NULL, timestamp INTEGER NOT NULL,"
    " peer_device INTEGER NOT NULL, sealed BLOB NOT NULL, state INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS history_by_peer ON history (peer, id);"
    "CREATE INDEX IF NOT EXISTS history_by_message ON history (message_id);"
    "CREATE TABLE IF NOT EXISTS requests (handle TEXT PRIMARY KEY);";

// The schema's later steps: upgrade i takes a store from user_version i to i + 1. Forward
// only; append, never edit.
constexpr std::array<const char*, 2> kUpgrades = {
    "ALTER TABLE history ADD COLUMN expires_at INTEGER;"  // NULL: never
    "ALTER TABLE history ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX history_by_expiry ON history (expires_at) WHERE expires_at IS NOT NULL;"
    "CREATE TABLE conversation_timers (peer TEXT PRIMARY KEY, seconds INTEGER NOT NULL);",
    // A file message's FileAttachment, sealed (it holds the file's key); NULL for text.
    "ALTER TABLE history ADD COLUMN attachment BLOB;",
};

constexpr const char* kGetSetting = "SELECT value FROM settings WHERE name = ?1";
constexpr const char* kPutSetting =
    "INSERT INTO settings (name, value) VALUES (?1, ?2) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value";
constexpr const char* kGetSecret = "SELECT sealed FROM secrets WHERE name = ?1";
constexpr const char* kPutSecret =
    "INSERT INTO secrets (name, sealed) VALUES (?1, ?2) "
    "ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed";
constexpr const char* kPutPrekey =
    "INSERT INTO one_time_prekeys (id, sealed) VALUES (?1, ?2) "
    "ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed";
constexpr const char* kGetPrekey = "SELECT sealed FROM one_time_prekeys WHERE id = ?1";
constexpr const char* kRemovePrekey = "DELETE FROM one_time_prekeys WHERE id = ?1";
constexpr const char* kCountPrekeys = "SELECT count(*) FROM one_time_prekeys";
constexpr const char* kHighestPrekey = "SELECT coalesce(max(id), 0) FROM one_time_prekeys";
constexpr const char* kGetSession = "SELECT sealed FROM sessions WHERE handle = ?1 AND device = ?2";
constexpr const char* kPutSession =
    "INSERT INTO sessions (handle, device, sealed) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (handle, device) DO UPDATE SET sealed = excluded.sealed";
constexpr const char* kRemoveSession = "DELETE FROM sessions WHERE handle = ?1 AND device = ?2";
constexpr const char* kSessionDevices =
    "SELECT device FROM sessions WHERE handle = ?1 ORDER BY device";
constexpr const char* kGetIdentity = "SELECT identity_key FROM identities WHERE handle = ?1";
constexpr const char* kPutIdentity =
    "INSERT INTO identities (handle, identity_key) VALUES (?1, ?2) "
    "ON CONFLICT (handle) DO UPDATE SET identity_key = excluded.identity_key";
constexpr const char* kAddHistory =
    "INSERT INTO history (peer, direction, message_id, timestamp, peer_device, sealed, state,"
    " expires_at, edited, attachment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
// The queries of whole entries select the columns in the order read_entry() reads.
constexpr const char* kHistory =
    "SELECT direction, message_id, timestamp, peer_device, sealed, state, expires_at, edited,"
    " attachment"
    " FROM (SELECT * FROM history WHERE peer = ?1 AND (expires_at IS NULL OR expires_at > ?3)"
    " ORDER BY id DESC LIMIT ?2) ORDER BY id";
constexpr const char* kMessage =
    "SELECT direction, message_id, timestamp, peer_device, sealed, state, expires_at, edited,"
    " attachment"
    " FROM history WHERE peer = ?1 AND message_id = ?2 AND (expires_at IS NULL OR expires_at > ?3)"
    " ORDER BY id LIMIT 1";
constexpr const char* kFileMessage =
    "SELECT direction, message_id, timestamp, peer_device, sealed, state, expires_at, edited,"
    " attachment, peer"
    " FROM history WHERE message_id = ?1 AND attachment IS NOT NULL"
    " AND (expires_at IS NULL OR expires_at > ?2) ORDER BY id LIMIT 1";
constexpr const char* kRemoveMessage = "DELETE FROM history WHERE peer = ?1 AND message_id = ?2";
constexpr const char* kReplaceText =
    "UPDATE history SET sealed = ?4, edited = 1 WHERE peer = ?1 AND message_id = ?2 AND "
    "direction = ?3";
constexpr const char* kPurgeExpired = "DELETE FROM history WHERE expires_at <= ?1";
constexpr const char* kNextExpiry = "SELECT min(expires_at) FROM history";
constexpr const char* kGetTimer = "SELECT seconds FROM conversation_timers WHERE peer = ?1";
constexpr const char* kPutTimer =
    "INSERT INTO conversation_timers (peer, seconds) VALUES (?1, ?2) "
    "ON CONFLICT (peer) DO UPDATE SET seconds = excluded.seconds";
constexpr const char* kRemoveTimer = "DELETE FROM conversation_timers WHERE peer = ?1";
constexpr const char* kMark =
    "UPDATE history SET state = ?2 WHERE message_id = ?1 AND direction = 1 AND state < ?2";
constexpr const char* kHasIncoming =
    "SELECT count(*) FROM history WHERE peer = ?1 AND message_id = ?2 AND direction = 0";

constexpr const char* kAddRequest = "INSERT OR IGNORE INTO requests (handle) VALUES (?1)";
constexpr const char* kRemoveRequest = "DELETE FROM requests WHERE handle = ?1";
constexpr const char* kRequests = "SELECT handle FROM requests ORDER BY handle";

constexpr std::string_view kCheckValue = "xchat-local-store-v1";

std::string label(std::string_view kind, std::string_view a, std::int64_t b = 0) {
  return std::string(kind) + "|" + std::string(a) + "|" + std::to_string(b);
}

std::optional<std::string> blob(store::Database& db, const char* sql, std::string_view key,
                                std::int64_t second = -1) {
  auto q = db.query(sql);
  q.bind_text(1, key);
  if (second >= 0) q.bind(2, second);
  if (!q.step()) return std::nullopt;
  return q.column_blob(0);
}

std::string history_label(std::string_view peer, std::string_view message_id,
                          std::int64_t direction) {
  return label("history", std::string(peer) + "|" + std::string(message_id), direction);
}

std::string attachment_label(std::string_view peer, std::string_view message_id,
                             std::int64_t direction) {
  return label("attachment", std::string(peer) + "|" + std::string(message_id), direction);
}

// Brings a store made by an older xchat to the current schema.
// An empty file with mode 0600, so SQLite's files (which copy its mode) are private too.
Status create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status(ErrorCode::kInternal, path + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  ::close(fd);
  return Status::ok();
}

}  // namespace

LocalStore::LocalStore(std::unique_ptr<store::Database> db, Vault vault)
    : db_(std::move(db)), vault_(std::move(vault)) {}

LocalStore::~LocalStore() = default;

Result<std::unique_ptr<LocalStore>> LocalStore::open(const std::string& home,
                                                     std::string_view passphrase) {
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  if (ec) return Status(ErrorCode::kInternal, home + ": " + ec.message());
  ::chmod(home.c_str(), 0700);
  const std::string path = home + "/xchat.db";
  if (Status s = create_private_file(path); !s) return s;
  store::Database::Options options;
  options.path = path;
  auto db = store::Database::open(options);
  if (!db) return db.status();
  if (Status s = (*db)->exec(kSchema); !s) return s;
  if (Status s = store::apply_steps(**db, kUpgrades, "xchat"); !s) return s;

  std::string salt;
  if (auto stored = blob(**db, kGetSetting, "vault_salt")) {
    salt = *stored;
  } else {
    salt = Vault::new_salt();
  }
  auto vault = Vault::unlock(passphrase, salt);
  if (!vault) return Status(ErrorCode::kInternal, "not enough memory for the key derivation");
  auto check = blob(**db, kGetSetting, "vault_check");
  if (check) {
    if (vault->open(*check, "vault_check") != std::string(kCheckValue)) {
      return Status(ErrorCode::kBadSignature, "wrong passphrase");
    }
  } else {
    const std::string sealed = vault->seal(kCheckValue, "vault_check");
    Status s = (*db)->transaction([&] {
      if (Status st = (*db)->query(kPutSetting).bind_text(1, "vault_salt").bind_blob(2, salt).run();
          !st) {
        return st;
      }
      return (*db)->query(kPutSetting).bind_text(1, "vault_check").bind_blob(2, sealed).run();
    });
    if (!s) return s;
  }
  return std::unique_ptr<LocalStore>(new LocalStore(std::move(*db), std::move(*vault)));
}

std::optional<std::string> LocalStore::setting(std::string_view name) {
  return blob(*db_, kGetSetting, name);
}

Status LocalStore::set_setting(std::string_view name, std::string_view value) {
  return db_->query(kPutSetting).bind_text(1, name).bind_blob(2, value).run();
}

std::optional<std::string> LocalStore::secret(std::string_view name) {
  auto sealed = blob(*db_, kGetSecret, name);
  if (!sealed) return std::nullopt;
  return vault_.open(*sealed, label("secret", name));
}

Status LocalStore::put_secret(std::string_view name, std::string_view value) {
  return db_->query(kPutSecret)
      .bind_text(1, name)
      .bind_blob(2, vault_.seal(value, label("secret", name)))
      .run();
}

Status LocalStore::put_one_time_prekey(std::uint32_t id, std::string_view secret) {
  return db_->query(kPutPrekey)
      .bind(1, id)
      .bind_blob(2, vault_.seal(secret, label("prekey", "", id)))
      .run();
}

std::optional<std::string> LocalStore::one_time_prekey(std::uint32_t id) {
  auto q = db_->query(kGetPrekey);
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return vault_.open(q.column_blob(0), label("prekey", "", id));
}

Status LocalStore::remove_one_time_prekey(std::uint32_t id) {
  return db_->query(kRemovePrekey).bind(1, id).run();
}

std::int64_t LocalStore::one_time_prekey_count() {
  auto n = db_->scalar(kCountPrekeys);
  return n ? *n : 0;
}

std::uint32_t LocalStore::highest_one_time_prekey_id() {
  auto n = db_->scalar(kHighestPrekey);
  return n ? static_cast<std::uint32_t>(*n) : 0;
}

std::optional<Session> LocalStore::session(std::string_view handle, std::uint32_t device,
                                           KeyPairSource keys) {
  auto sealed = blob(*db_, kGetSession, handle, device);
  if (!sealed) return std::nullopt;
  auto bytes = vault_.open(*sealed, label("session", handle, device));
  if (!bytes) return std::nullopt;
  auto session = Session::deserialize(*bytes, std::move(keys));
  sodium_memzero(bytes->data(), bytes->size());
  return session;
}

Status LocalStore::put_session(const Session& session) {
  std::string bytes = session.serialize();
  const Party& peer = session.peer();
  Status s =
      db_->query(kPutSession)
          .bind_text(1, peer.handle_key)
          .bind(2, peer.device_id)
          .bind_blob(3, vault_.seal(bytes, label("session", peer.handle_key, peer.device_id)))
          .run();
  sodium_memzero(bytes.data(), bytes.size());
  return s;
}

Status LocalStore::remove_session(std::string_view handle, std::uint32_t device) {
  return db_->query(kRemoveSession).bind_text(1, handle).bind(2, device).run();
}

std::vector<std::uint32_t> LocalStore::session_devices(std::string_view handle) {
  std::vector<std::uint32_t> out;
  auto q = db_->query(kSessionDevices);
  q.bind_text(1, handle);
  while (q.step()) out.push_back(static_cast<std::uint32_t>(q.column_int(0)));
  return out;
}

std::optional<std::string> LocalStore::pinned_identity(std::string_view handle) {
  return blob(*db_, kGetIdentity, handle);
}

Status LocalStore::pin_identity(std::string_view handle, std::string_view identity_key) {
  return db_->query(kPutIdentity).bind_text(1, handle).bind_blob(2, identity_key).run();
}

Status LocalStore::add_request(std::string_view handle) {
  return db_->query(kAddRequest).bind_text(1, handle).run();
}

Status LocalStore::remove_request(std::string_view handle) {
  return db_->query(kRemoveRequest).bind_text(1, handle).run();
}

std::vector<std::string> LocalStore::requests() {
  std::vector<std::string> out;
  auto q = db_->query(kRequests);
  while (q.step()) out.push_back(q.column_text(0));
  return out;
}

Status LocalStore::add_history(const HistoryEntry& e) {
  const auto direction = static_cast<std::int64_t>(e.direction == HistoryEntry::Direction::kOut);
  auto q = db_->query(kAddHistory);
  q.bind_text(1, e.peer)
      .bind(2, direction)
      .bind_blob(3, e.message_id)
      .bind(4, e.timestamp_ms)
      .bind(5, e.peer_device)
      .bind_blob(6, vault_.seal(e.text, history_label(e.peer, e.message_id, direction)))
      .bind(7, static_cast<std::int64_t>(e.state))
      .bind_optional(8, e.expires_at != 0 ? std::optional(e.expires_at) : std::nullopt)
      .bind(9, static_cast<std::int64_t>(e.edited));
  if (e.file) {
    std::string file = e.file->encode();
    q.bind_blob(10, vault_.seal(file, attachment_label(e.peer, e.message_id, direction)));
    sodium_memzero(file.data(), file.size());
  } else {
    q.bind_null(10);
  }
  return q.run();
}

std::optional<HistoryEntry> LocalStore::read_entry(std::string_view peer, const store::Query& q) {
  HistoryEntry e;
  e.peer.assign(peer);
  const std::int64_t direction = q.column_int(0);
  e.direction = direction != 0 ? HistoryEntry::Direction::kOut : HistoryEntry::Direction::kIn;
  e.message_id = q.column_blob(1);
  e.timestamp_ms = q.column_int(2);
  e.peer_device = static_cast<std::uint32_t>(q.column_int(3));
  auto text = vault_.open(q.column_blob(4), history_label(e.peer, e.message_id, direction));
  if (!text) return std::nullopt;  // not ours, or tampered with: never shown
  e.text = std::move(*text);
  e.state = static_cast<HistoryEntry::State>(q.column_int(5));
  e.expires_at = q.column_is_null(6) ? 0 : q.column_int(6);
  e.edited = q.column_int(7) != 0;
  if (!q.column_is_null(8)) {
    auto file = vault_.open(q.column_blob(8), attachment_label(e.peer, e.message_id, direction));
    if (!file) return std::nullopt;
    e.file = FileAttachment::decode(*file);
    sodium_memzero(file->data(), file->size());
    if (!e.file) return std::nullopt;
  }
  return e;
}

std::vector<HistoryEntry> LocalStore::history(std::string_view peer, std::size_t limit,
                                              std::int64_t now_ms) {
  std::vector<HistoryEntry> out;
  auto q = db_->query(kHistory);
  q.bind_text(1, peer).bind(2, static_cast<std::int64_t>(limit)).bind(3, now_ms);
  while (q.step()) {
    if (auto e = read_entry(peer, q)) out.push_back(std::move(*e));
  }
  return out;
}

std::optional<HistoryEntry> LocalStore::message(std::string_view peer, std::string_view message_id,
                                                std::int64_t now_ms) {
  auto q = db_->query(kMessage);
  q.bind_text(1, peer).bind_blob(2, message_id).bind(3, now_ms);
  if (!q.step()) return std::nullopt;
  return read_entry(peer, q);
}

std::optional<HistoryEntry> LocalStore::file_message(std::string_view message_id,
                                                     std::int64_t now_ms) {
  auto q = db_->query(kFileMessage);
  q.bind_blob(1, message_id).bind(2, now_ms);
  if (!q.step()) return std::nullopt;
  return read_entry(q.column_text(9), q);
}

Status LocalStore::remove_message(std::string_view peer, std::string_view message_id) {
  if (Status s = db_->query(kRemoveMessage).bind_text(1, peer).bind_blob(2, message_id).run(); !s) {
    return s;
  }
  return db_->checkpoint_truncate();
}

Status LocalStore::replace_text(const HistoryEntry& e, std::string_view text) {
  const auto direction = static_cast<std::int64_t>(e.direction == HistoryEntry::Direction::kOut);
  Status s = db_->query(kReplaceText)
                 .bind_text(1, e.peer)
                 .bind_blob(2, e.message_id)
                 .bind(3, direction)
                 .bind_blob(4, vault_.seal(text, history_label(e.peer, e.message_id, direction)))
                 .run();
  // The earlier text's sealed bytes were overwritten in place; the checkpoint takes their
  // older page image out of the WAL.
  return s ? db_->checkpoint_truncate() : s;
}

Result<std::int64_t> LocalStore::purge_expired(std::int64_t now_ms) {
  if (Status s = db_->query(kPurgeExpired).bind(1, now_ms).run(); !s) return s;
  const std::int64_t purged = db_->changes();
  if (purged > 0) {
    if (Status s = db_->checkpoint_truncate(); !s) return s;
  }
  return purged;
}

std::optional<std::int64_t> LocalStore::next_expiry() {
  auto q = db_->query(kNextExpiry);
  if (!q.step() || q.column_is_null(0)) return std::nullopt;
  return q.column_int(0);
}

Status LocalStore::mark(std::string_view message_id, HistoryEntry::State state) {
  return db_->query(kMark).bind_blob(1, message_id).bind(2, static_cast<std::int64_t>(state)).run();
}

bool LocalStore::has_incoming(std::string_view peer, std::string_view message_id) {
  auto q = db_->query(kHasIncoming);
  q.bind_text(1, peer).bind_blob(2, message_id);
  return q.step() && q.column_int(0) > 0;
}

std::uint32_t LocalStore::timer(std::string_view peer) {
  auto q = db_->query(kGetTimer);
  q.bind_text(1, peer);
  return q.step() ? static_cast<std::uint32_t>(q.column_int(0)) : 0;
}

Status LocalStore::set_timer(std::string_view peer, std::uint32_t seconds) {
  if (seconds == 0) return db_->query(kRemoveTimer).bind_text(1, peer).run();
  return db_->query(kPutTimer).bind_text(1, peer).bind(2, seconds).run();
}

}  // namespace xchat::client
