#include "store/local_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "store/database.hpp"

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
    "INSERT INTO history (peer, direction, message_id, timestamp, peer_device, sealed, state) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kHistory =
    "SELECT id, direction, message_id, timestamp, peer_device, sealed, state FROM "
    "(SELECT * FROM history WHERE peer = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id";
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
  return db_->query(kAddHistory)
      .bind_text(1, e.peer)
      .bind(2, direction)
      .bind_blob(3, e.message_id)
      .bind(4, e.timestamp_ms)
      .bind(5, e.peer_device)
      .bind_blob(6, vault_.seal(e.text, label("history", e.peer + "|" + e.message_id, direction)))
      .bind(7, static_cast<std::int64_t>(e.state))
      .run();
}

std::vector<HistoryEntry> LocalStore::history(std::string_view peer, std::size_t limit) {
  std::vector<HistoryEntry> out;
  auto q = db_->query(kHistory);
  q.bind_text(1, peer).bind(2, static_cast<std::int64_t>(limit));
  while (q.step()) {
    HistoryEntry e;
    e.peer.assign(peer);
    const std::int64_t direction = q.column_int(1);
    e.direction = direction != 0 ? HistoryEntry::Direction::kOut : HistoryEntry::Direction::kIn;
    e.message_id = q.column_blob(2);
    e.timestamp_ms = q.column_int(3);
    e.peer_device = static_cast<std::uint32_t>(q.column_int(4));
    auto text =
        vault_.open(q.column_blob(5), label("history", e.peer + "|" + e.message_id, direction));
    if (!text) continue;  // not ours, or tampered with: never shown
    e.text = std::move(*text);
    e.state = static_cast<HistoryEntry::State>(q.column_int(6));
    out.push_back(std::move(e));
  }
  return out;
}

Status LocalStore::mark(std::string_view message_id, HistoryEntry::State state) {
  return db_->query(kMark).bind_blob(1, message_id).bind(2, static_cast<std::int64_t>(state)).run();
}

bool LocalStore::has_incoming(std::string_view peer, std::string_view message_id) {
  auto q = db_->query(kHasIncoming);
  q.bind_text(1, peer).bind_blob(2, message_id);
  return q.step() && q.column_int(0) > 0;
}

}  // namespace xchat::client
