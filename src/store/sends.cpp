#include "store/sends.hpp"

namespace xchat::store::sends {

namespace {

constexpr const char* kFind =
    "SELECT recipient_id, result FROM sends "
    "WHERE sender_id = ?1 AND sender_device = ?2 AND message_id = ?3";
constexpr const char* kInsert =
    "INSERT INTO sends (sender_id, sender_device, message_id, recipient_id, accepted_at, result) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kPurge =
    "DELETE FROM sends WHERE (sender_id, sender_device, message_id) IN "
    "(SELECT sender_id, sender_device, message_id FROM sends WHERE accepted_at < ?1 LIMIT ?2)";

}  // namespace

Result<std::optional<Record>> find(Database& db, std::int64_t sender_id,
                                   std::uint32_t sender_device, const std::string& message_id) {
  Query q = db.query(kFind);
  q.bind(1, sender_id).bind(2, sender_device).bind_blob(3, message_id);
  if (q.step()) return std::optional<Record>(Record{q.column_int(0), q.column_text(1)});
  if (!q.status()) return q.status();
  return std::optional<Record>();
}

Status insert(Database& db, std::int64_t sender_id, std::uint32_t sender_device,
              const std::string& message_id, std::int64_t accepted_at, const Record& record) {
  Query q = db.query(kInsert);
  q.bind(1, sender_id).bind(2, sender_device).bind_blob(3, message_id);
  q.bind(4, record.recipient_id).bind(5, accepted_at).bind_text(6, record.result);
  if (Status s = q.run(); !s) {
    if (q.constraint_failed()) return Status(ErrorCode::kUnknownDevice, "no such device");
    return s;
  }
  return Status::ok();
}

Result<std::int64_t> purge_older_than(Database& db, std::int64_t cutoff, std::int64_t limit) {
  Query q = db.query(kPurge);
  q.bind(1, cutoff).bind(2, limit);
  if (Status s = q.run(); !s) return s;
  return db.changes();
}

}  // namespace xchat::store::sends
