#include "store/invites.hpp"

namespace xchat::store::invites {

namespace {
constexpr const char* kInsert =
    "INSERT INTO invites (code, created_at, expires_at) VALUES (?1, ?2, ?3)";
constexpr const char* kConsume =
    "UPDATE invites SET used_by = ?2, used_at = ?3 WHERE code = ?1 AND used_at IS NULL "
    "AND (expires_at IS NULL OR expires_at > ?3)";
}  // namespace

Status insert(Database& db, const std::string& code, std::int64_t now,
              std::optional<std::int64_t> expires_at) {
  Query q = db.query(kInsert);
  q.bind_text(1, code).bind(2, now).bind_optional(3, expires_at);
  return q.run();
}

Status consume(Database& db, const std::string& code, std::int64_t account_id, std::int64_t now) {
  Query q = db.query(kConsume);
  q.bind_text(1, code).bind(2, account_id).bind(3, now);
  if (Status s = q.run(); !s) return s;
  if (db.changes() == 0) {
    return Status(ErrorCode::kInviteInvalid, "the invite code is unknown, used or expired");
  }
  return Status::ok();
}

}  // namespace xchat::store::invites
