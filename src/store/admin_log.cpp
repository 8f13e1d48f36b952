#include "store/admin_log.hpp"

namespace xchat::store::admin_log {

namespace {
constexpr const char* kAppend =
    "INSERT INTO admin_log (at, action, target, detail) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kRecent =
    "SELECT at, action, target, detail FROM admin_log ORDER BY id DESC LIMIT ?1";
}  // namespace

Status append(Database& db, const Entry& entry) {
  Query q = db.query(kAppend);
  q.bind(1, entry.at).bind_text(2, entry.action).bind_text(3, entry.target);
  q.bind_text(4, entry.detail);
  return q.run();
}

Result<std::vector<Entry>> recent(Database& db, std::int64_t limit) {
  Query q = db.query(kRecent);
  q.bind(1, limit);
  std::vector<Entry> out;
  while (q.step())
    out.push_back({q.column_int(0), q.column_text(1), q.column_text(2), q.column_text(3)});
  if (!q.status()) return q.status();
  return out;
}

}  // namespace xchat::store::admin_log
