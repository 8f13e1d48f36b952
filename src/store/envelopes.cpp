#include "store/envelopes.hpp"

namespace xchat::store::envelopes {

namespace {

// Two plain statements: UPDATE ... RETURNING costs an ephemeral table per call.
constexpr const char* kAdvanceSeq =
    "UPDATE counters SET value = value + ?1 WHERE name = 'envelope_seq'";
constexpr const char* kLastSeq = "SELECT value FROM counters WHERE name = 'envelope_seq'";
constexpr const char* kDeviceQueues =
    "SELECT d.device_id, d.queued, EXISTS (SELECT 1 FROM device_keys k "
    "WHERE k.account_id = d.account_id AND k.device_id = d.device_id) "
    "FROM devices d WHERE d.account_id = ?1 ORDER BY d.device_id";
constexpr const char* kInsert =
    "INSERT INTO envelopes (seq, account_id, device_id, sender_id, sender_handle, sender_device, "
    "message_id, accepted_at, flags, ciphertext, expires_at, refers_to) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
constexpr const char* kPage =
    "SELECT seq, sender_id, sender_handle, sender_device, message_id, accepted_at, flags, "
    "ciphertext, expires_at, refers_to FROM envelopes "
    "WHERE account_id = ?1 AND device_id = ?2 AND seq > ?3 "
    "AND (expires_at IS NULL OR expires_at > ?5) ORDER BY seq LIMIT ?4";
constexpr const char* kRemoveSent = "DELETE FROM envelopes WHERE seq = ?1 AND sender_id = ?2";
constexpr const char* kRemove =
    "DELETE FROM envelopes WHERE seq = ?1 AND account_id = ?2 AND device_id = ?3";
constexpr const char* kRemoveFromSender =
    "DELETE FROM envelopes WHERE account_id = ?1 AND sender_id = ?2";
constexpr const char* kPurge =
    "DELETE FROM envelopes WHERE seq IN "
    "(SELECT seq FROM envelopes WHERE accepted_at < ?1 LIMIT ?2)";
constexpr const char* kOldestAccepted =
    "SELECT accepted_at FROM envelopes ORDER BY accepted_at LIMIT 1";
// `expires_at <= ?1` implies NOT NULL, so both statements read the partial index
// envelopes_by_expiry.
constexpr const char* kPurgeExpired =
    "DELETE FROM envelopes WHERE seq IN "
    "(SELECT seq FROM envelopes WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)";
constexpr const char* kNextExpiry =
    "SELECT expires_at FROM envelopes WHERE expires_at IS NOT NULL ORDER BY expires_at LIMIT 1";

// flags: bit 0 a message request; bits 1-2 the Kind.
constexpr std::int64_t kRequestFlag = 1;
constexpr int kKindShift = 1;
constexpr std::int64_t kKindMask = 3;

std::int64_t flags_of(const Envelope& e) {
  return (e.request ? kRequestFlag : 0) | (static_cast<std::int64_t>(e.kind) << kKindShift);
}

}  // namespace

Result<std::int64_t> allocate_seqs(Database& db, std::int64_t n) {
  if (Status s = db.query(kAdvanceSeq).bind(1, n).run(); !s) return s;
  if (db.changes() != 1) {
    return Status(ErrorCode::kInternal, "the envelope_seq counter is missing");
  }
  Query q = db.query(kLastSeq);
  if (!q.step()) return q.status();
  return q.column_int(0) - n + 1;
}

Result<std::vector<DeviceQueue>> device_queues(Database& db, std::int64_t account_id) {
  std::vector<DeviceQueue> out;
  Query q = db.query(kDeviceQueues);
  q.bind(1, account_id);
  while (q.step()) {
    out.push_back(
        {static_cast<std::uint32_t>(q.column_int(0)), q.column_int(1), q.column_int(2) != 0});
  }
  if (!q.status()) return q.status();
  return out;
}

Status insert(Database& db, const Envelope& e) {
  Query q = db.query(kInsert);
  q.bind(1, e.seq).bind(2, e.account_id).bind(3, e.device_id).bind(4, e.sender_id);
  q.bind_text(5, e.sender_handle).bind(6, e.sender_device).bind_blob(7, e.message_id);
  q.bind(8, e.accepted_at).bind(9, flags_of(e)).bind_blob(10, e.ciphertext);
  if (e.expires_at != 0) q.bind(11, e.expires_at);
  if (e.kind != Kind::kMessage) q.bind_blob(12, e.refers_to);
  if (Status s = q.run(); !s) {
    if (q.constraint_failed()) return Status(ErrorCode::kUnknownDevice, "no such device");
    return s;
  }
  return Status::ok();
}

Result<std::vector<Envelope>> page(Database& db, std::int64_t account_id, std::uint32_t device_id,
                                   std::int64_t after, std::int64_t limit, std::int64_t now) {
  std::vector<Envelope> out;
  Query q = db.query(kPage);
  q.bind(1, account_id).bind(2, device_id).bind(3, after).bind(4, limit).bind(5, now);
  while (q.step()) {
    Envelope e;
    e.seq = q.column_int(0);
    e.account_id = account_id;
    e.device_id = device_id;
    e.sender_id = q.column_int(1);
    e.sender_handle = q.column_text(2);
    e.sender_device = static_cast<std::uint32_t>(q.column_int(3));
    e.message_id = q.column_blob(4);
    e.accepted_at = q.column_int(5);
    const std::int64_t flags = q.column_int(6);
    e.request = (flags & kRequestFlag) != 0;
    e.kind = static_cast<Kind>((flags >> kKindShift) & kKindMask);
    e.ciphertext = q.column_blob(7);
    if (!q.column_is_null(8)) e.expires_at = q.column_int(8);
    if (!q.column_is_null(9)) e.refers_to = q.column_blob(9);
    out.push_back(std::move(e));
  }
  if (!q.status()) return q.status();
  return out;
}

Result<std::int64_t> remove(Database& db, std::int64_t account_id, std::uint32_t device_id,
                            const std::vector<std::int64_t>& seqs) {
  std::int64_t removed = 0;
  for (const std::int64_t seq : seqs) {
    Query q = db.query(kRemove);
    q.bind(1, seq).bind(2, account_id).bind(3, device_id);
    if (Status s = q.run(); !s) return s;
    removed += db.changes();
  }
  return removed;
}

Result<bool> remove_sent(Database& db, std::int64_t seq, std::int64_t sender_id) {
  Query q = db.query(kRemoveSent);
  q.bind(1, seq).bind(2, sender_id);
  if (Status s = q.run(); !s) return s;
  return db.changes() > 0;
}

Result<std::int64_t> remove_from_sender(Database& db, std::int64_t account_id,
                                        std::int64_t sender_id) {
  Query q = db.query(kRemoveFromSender);
  q.bind(1, account_id).bind(2, sender_id);
  if (Status s = q.run(); !s) return s;
  return db.changes();
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

Result<std::int64_t> purge_expired(Database& db, std::int64_t now, std::int64_t limit) {
  Query q = db.query(kPurgeExpired);
  q.bind(1, now).bind(2, limit);
  if (Status s = q.run(); !s) return s;
  return db.changes();
}

Result<std::optional<std::int64_t>> next_expiry(Database& db) { return db.first_int(kNextExpiry); }

}  // namespace xchat::store::envelopes
