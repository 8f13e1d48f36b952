#include "store/attachments.hpp"

namespace xchat::store::attachments {

namespace {

constexpr const char* kUsage =
    "SELECT coalesce(sum(size), 0), coalesce(sum(complete = 0), 0) FROM attachments "
    "WHERE owner_id = ?1";
constexpr const char* kInsert =
    "INSERT INTO attachments (id, owner_id, size, created_at, expires_at, complete) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kFind =
    "SELECT owner_id, size, created_at, expires_at, complete FROM attachments WHERE id = ?1";
constexpr const char* kComplete =
    "UPDATE attachments SET complete = 1, expires_at = ?2 WHERE id = ?1 AND complete = 0";
constexpr const char* kExpireBy =
    "UPDATE attachments SET expires_at = ?2 WHERE id = ?1 AND expires_at > ?2";
constexpr const char* kGrant =
    "INSERT OR IGNORE INTO attachment_grants (attachment_id, account_id, device_id) "
    "VALUES (?1, ?2, ?3)";
constexpr const char* kGranted =
    "SELECT 1 FROM attachment_grants WHERE attachment_id = ?1 AND account_id = ?2 AND "
    "device_id = ?3";
constexpr const char* kRemove = "DELETE FROM attachments WHERE id = ?1";
constexpr const char* kDue =
    "SELECT id FROM attachments WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2";
constexpr const char* kNextExpiry = "SELECT min(expires_at) FROM attachments";

}  // namespace

Result<Usage> usage(Database& db, std::int64_t owner_id) {
  Query q = db.query(kUsage);
  q.bind(1, owner_id);
  Usage out;
  if (q.step()) {
    out.bytes = q.column_int(0);
    out.uploads_in_progress = q.column_int(1);
  }
  if (!q.status()) return q.status();
  return out;
}

Status insert(Database& db, const Attachment& a) {
  Query q = db.query(kInsert);
  q.bind_blob(1, a.id)
      .bind(2, a.owner_id)
      .bind(3, a.size)
      .bind(4, a.created_at)
      .bind(5, a.expires_at)
      .bind(6, a.complete ? 1 : 0);
  return q.run();
}

Result<std::optional<Attachment>> find(Database& db, std::string_view id) {
  Query q = db.query(kFind);
  q.bind_blob(1, id);
  std::optional<Attachment> out;
  if (q.step()) {
    Attachment a;
    a.id = std::string(id);
    a.owner_id = q.column_int(0);
    a.size = q.column_int(1);
    a.created_at = q.column_int(2);
    a.expires_at = q.column_int(3);
    a.complete = q.column_int(4) != 0;
    out = std::move(a);
  }
  if (!q.status()) return q.status();
  return out;
}

Result<bool> complete(Database& db, std::string_view id, std::int64_t expires_at) {
  Query q = db.query(kComplete);
  q.bind_blob(1, id).bind(2, expires_at);
  if (Status s = q.run(); !s) return s;
  return db.changes() > 0;
}

Status expire_by(Database& db, std::string_view id, std::int64_t expires_at) {
  Query q = db.query(kExpireBy);
  q.bind_blob(1, id).bind(2, expires_at);
  return q.run();
}

Status grant(Database& db, std::string_view id, std::int64_t account_id,
             std::uint32_t device_id) {
  Query q = db.query(kGrant);
  q.bind_blob(1, id).bind(2, account_id).bind(3, device_id);
  return q.run();
}

Result<bool> granted(Database& db, std::string_view id, std::int64_t account_id,
                     std::uint32_t device_id) {
  Query q = db.query(kGranted);
  q.bind_blob(1, id).bind(2, account_id).bind(3, device_id);
  const bool found = q.step();
  if (!q.status()) return q.status();
  return found;
}

Result<bool> remove(Database& db, std::string_view id) {
  Query q = db.query(kRemove);
  q.bind_blob(1, id);
  if (Status s = q.run(); !s) return s;
  return db.changes() > 0;
}

Result<std::vector<std::string>> due(Database& db, std::int64_t now, std::int64_t limit) {
  Query q = db.query(kDue);
  q.bind(1, now).bind(2, limit);
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.column_blob(0));
  if (!q.status()) return q.status();
  return out;
}

Result<std::optional<std::int64_t>> next_expiry(Database& db) { return db.first_int(kNextExpiry); }

}  // namespace xchat::store::attachments
