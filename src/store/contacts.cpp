#include "store/contacts.hpp"

namespace xchat::store::contacts {

namespace {

// The statements of one list; the two tables have the same shape.
struct Statements {
  const char* insert;
  const char* remove;
  const char* count;
  const char* entry;
  const char* list;
};

constexpr Statements kContacts = {
    "INSERT INTO contacts (account_id, contact_id, added_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT DO NOTHING",
    "DELETE FROM contacts WHERE account_id = ?1 AND contact_id = ?2",
    "SELECT count(*) FROM contacts WHERE account_id = ?1",
    "SELECT a.handle, a.handle_key, a.identity_key, c.added_at FROM contacts c "
    "JOIN accounts a ON a.id = c.contact_id WHERE c.account_id = ?1 AND c.contact_id = ?2",
    "SELECT a.handle, a.handle_key, a.identity_key, c.added_at FROM contacts c "
    "JOIN accounts a ON a.id = c.contact_id WHERE c.account_id = ?1 ORDER BY a.handle_key",
};

constexpr Statements kBlocked = {
    "INSERT INTO blocks (account_id, blocked_id, blocked_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT DO NOTHING",
    "DELETE FROM blocks WHERE account_id = ?1 AND blocked_id = ?2",
    "SELECT count(*) FROM blocks WHERE account_id = ?1",
    "SELECT a.handle, a.handle_key, a.identity_key, b.blocked_at FROM blocks b "
    "JOIN accounts a ON a.id = b.blocked_id WHERE b.account_id = ?1 AND b.blocked_id = ?2",
    "SELECT a.handle, a.handle_key, a.identity_key, b.blocked_at FROM blocks b "
    "JOIN accounts a ON a.id = b.blocked_id WHERE b.account_id = ?1 ORDER BY a.handle_key",
};

constexpr const char* kStanding =
    "SELECT who_can_message = 'contacts', "
    "EXISTS (SELECT 1 FROM contacts WHERE account_id = ?1 AND contact_id = ?2), "
    "EXISTS (SELECT 1 FROM blocks WHERE account_id = ?1 AND blocked_id = ?2) "
    "FROM accounts WHERE id = ?1";

const Statements& statements(List list) { return list == List::kContacts ? kContacts : kBlocked; }

Entry read_entry(const Query& q) {
  return Entry{q.column_text(0), q.column_text(1), q.column_blob(2), q.column_int(3)};
}

Result<std::optional<Entry>> find(Database& db, const Statements& sql, std::int64_t account_id,
                                  std::int64_t other_id) {
  Query q = db.query(sql.entry);
  q.bind(1, account_id).bind(2, other_id);
  if (q.step()) return std::optional<Entry>(read_entry(q));
  if (!q.status()) return q.status();
  return std::optional<Entry>();
}

}  // namespace

Result<Entry> add(Database& db, List list, std::int64_t account_id, std::int64_t other_id,
                  std::int64_t now, std::int64_t max) {
  const Statements& sql = statements(list);
  auto existing = find(db, sql, account_id, other_id);
  if (!existing) return existing.status();
  if (*existing) return std::move(**existing);
  {
    Query count = db.query(sql.count);
    count.bind(1, account_id);
    if (!count.step()) return count.status();
    if (count.column_int(0) >= max) {
      return Status(ErrorCode::kTooLarge, "the list holds its maximum of " + std::to_string(max));
    }
  }
  {
    Query q = db.query(sql.insert);
    q.bind(1, account_id).bind(2, other_id).bind(3, now);
    if (Status s = q.run(); !s) {
      if (q.constraint_failed()) return Status(ErrorCode::kNotFound, "no such account");
      return s;
    }
  }
  auto added = find(db, sql, account_id, other_id);
  if (!added) return added.status();
  if (!*added) return Status(ErrorCode::kNotFound, "no such account");
  return std::move(**added);
}

Result<bool> remove(Database& db, List list, std::int64_t account_id, std::int64_t other_id) {
  Query q = db.query(statements(list).remove);
  q.bind(1, account_id).bind(2, other_id);
  if (Status s = q.run(); !s) return s;
  return db.changes() > 0;
}

Result<std::vector<Entry>> list(Database& db, List list, std::int64_t account_id) {
  std::vector<Entry> out;
  Query q = db.query(statements(list).list);
  q.bind(1, account_id);
  while (q.step()) out.push_back(read_entry(q));
  if (!q.status()) return q.status();
  return out;
}

Result<Standing> standing(Database& db, std::int64_t recipient_id, std::int64_t sender_id) {
  Query q = db.query(kStanding);
  q.bind(1, recipient_id).bind(2, sender_id);
  if (!q.step()) {
    if (!q.status()) return q.status();
    return Status(ErrorCode::kNotFound, "no such handle");
  }
  return Standing{q.column_int(1) != 0, q.column_int(2) != 0, q.column_int(0) != 0};
}

}  // namespace xchat::store::contacts
