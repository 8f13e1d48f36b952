#include "store/sends.hpp"

namespace xchat::store::sends {

namespace {

constexpr const char* kFind =
    "SELECT recipient_id, result, accepted_at, kind, refers_to, expires_at, retracted FROM sends "
    "WHERE sender_id = ?1 AND sender_device = ?2 AND message_id = ?3";
// One primary-key lookup per device of the account (at most max_devices_per_account).
constexpr const char* kFindByAccount =
    "SELECT recipient_id, result, accepted_at, kind, refers_to, expires_at, retracted, "
    "sender_device FROM sends WHERE sender_id = ?1 AND message_id = ?2 AND sender_device IN "
    "(SELECT device_id FROM devices WHERE account_id = ?1) LIMIT 1";
constexpr const char* kEditResults =
    "SELECT result FROM sends WHERE sender_id = ?1 AND refers_to = ?2 AND kind = 1";
constexpr const char* kInsert =
    "INSERT INTO sends (sender_id, sender_device, message_id, recipient_id, accepted_at, result, "
    "kind, refers_to, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr const char* kMarkRetracted =
    "UPDATE sends SET retracted = 1 "
    "WHERE sender_id = ?1 AND sender_device = ?2 AND message_id = ?3";
constexpr const char* kPurge =
    "DELETE FROM sends WHERE (sender_id, sender_device, message_id) IN "
    "(SELECT sender_id, sender_device, message_id FROM sends WHERE accepted_at < ?1 LIMIT ?2)";
constexpr const char* kOldestAccepted =
    "SELECT accepted_at FROM sends ORDER BY accepted_at LIMIT 1";

// Columns 0..6 of kFind and kFindByAccount.
Record read_record(const Query& q) {
  Record r;
  r.recipient_id = q.column_int(0);
  r.result = q.column_text(1);
  r.accepted_at = q.column_int(2);
  r.kind = static_cast<envelopes::Kind>(q.column_int(3));
  if (!q.column_is_null(4)) r.refers_to = q.column_blob(4);
  if (!q.column_is_null(5)) r.expires_at = q.column_int(5);
  r.retracted = q.column_int(6) != 0;
  return r;
}

}  // namespace

Result<std::optional<Record>> find(Database& db, std::int64_t sender_id,
                                   std::uint32_t sender_device, const std::string& message_id) {
  Query q = db.query(kFind);
  q.bind(1, sender_id).bind(2, sender_device).bind_blob(3, message_id);
  if (q.step()) return std::optional<Record>(read_record(q));
  if (!q.status()) return q.status();
  return std::optional<Record>();
}

Result<std::optional<Sent>> find_by_account(Database& db, std::int64_t sender_id,
                                            const std::string& message_id) {
  Query q = db.query(kFindByAccount);
  q.bind(1, sender_id).bind_blob(2, message_id);
  if (q.step()) {
    return std::optional<Sent>(Sent{static_cast<std::uint32_t>(q.column_int(7)), read_record(q)});
  }
  if (!q.status()) return q.status();
  return std::optional<Sent>();
}

Result<std::vector<std::string>> edit_results(Database& db, std::int64_t sender_id,
                                              const std::string& message_id) {
  std::vector<std::string> out;
  Query q = db.query(kEditResults);
  q.bind(1, sender_id).bind_blob(2, message_id);
  while (q.step()) out.push_back(q.column_text(0));
  if (!q.status()) return q.status();
  return out;
}

Status insert(Database& db, std::int64_t sender_id, std::uint32_t sender_device,
              const std::string& message_id, const Record& record) {
  Query q = db.query(kInsert);
  q.bind(1, sender_id).bind(2, sender_device).bind_blob(3, message_id);
  q.bind(4, record.recipient_id).bind(5, record.accepted_at).bind_text(6, record.result);
  q.bind(7, static_cast<std::int64_t>(record.kind));
  if (record.kind != envelopes::Kind::kMessage) q.bind_blob(8, record.refers_to);
  if (record.expires_at != 0) q.bind(9, record.expires_at);
  if (Status s = q.run(); !s) {
    if (q.constraint_failed()) return Status(ErrorCode::kUnknownDevice, "no such device");
    return s;
  }
  return Status::ok();
}

Status mark_retracted(Database& db, std::int64_t sender_id, std::uint32_t sender_device,
                      const std::string& message_id) {
  Query q = db.query(kMarkRetracted);
  q.bind(1, sender_id).bind(2, sender_device).bind_blob(3, message_id);
  return q.run();
}

Result<std::int64_t> purge_older_than(Database& db, std::int64_t cutoff, std::int64_t limit) {
  Query q = db.query(kPurge);
  q.bind(1, cutoff).bind(2, limit);
  if (Status s = q.run(); !s) return s;
  return db.changes();
}

Result<std::optional<std::int64_t>> oldest_accepted(Database& db) {
  return db.first_int(kOldestAccepted);
}

}  // namespace xchat::store::sends
