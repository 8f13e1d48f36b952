#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "xchat/status.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace xchat::store {

class Database;

// A prepared statement in use. Obtained from Database::query(); on destruction it is reset
// and its bindings cleared, so the cached statement is ready for the next caller.
// Not thread-safe: it belongs to its Database's thread. Parameter indexes start at 1,
// column indexes at 0.
class Query {
 public:
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  Query& bind(int index, std::int64_t value);
  Query& bind_text(int index, std::string_view value);
  Query& bind_blob(int index, std::string_view value);
  Query& bind_null(int index);
  template <class T>
  Query& bind_optional(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // Advances to the next row: true with a row, false when done. On error returns false
  // and status() tells why.
  bool step();
  // Runs a statement that returns no rows.
  Status run();
  const Status& status() const { return status_; }
  // True when the last failure was a UNIQUE/PRIMARY KEY/FOREIGN KEY violation.
  bool constraint_failed() const { return constraint_failed_; }

  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::string column_blob(int index) const;
  bool column_is_null(int index) const;

 private:
  friend class Database;
  Query(Database& db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  // One that could not be prepared.
  Query(Database& db, Status failed) : db_(db), stmt_(nullptr), status_(std::move(failed)) {}

  Database& db_;
  sqlite3_stmt* stmt_;  // null when preparing failed
  Status status_;
  bool constraint_failed_ = false;
};

// One SQLite connection and its statement cache. Owned by one thread at a time (the
// writer thread, or a reader lease); never shared concurrently.
class Database {
 public:
  struct Options {
    std::string path;
    bool read_only = false;
    std::string synchronous = "FULL";  // FULL or NORMAL
    int busy_timeout_ms = 5000;
  };

  // Opens (creating if needed) with WAL, secure_delete and foreign keys on, through the
  // VFS that writes each transaction's WAL frames at once (wal_coalescing_vfs.hpp).
  static Result<std::unique_ptr<Database>> open(const Options& options);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs SQL that returns no rows (DDL, pragmas, BEGIN/COMMIT). Not cached.
  Status exec(const char* sql);
  // A cached prepared statement for `sql`. REQUIRES: `sql` points to a string that lives
  // for the program's lifetime (a named constant): the cache is keyed by the pointer.
  // When preparing fails for a reason of the moment (an interrupt, an I/O error while
  // reading the schema) the Query comes back failed: step() is false and status() says why.
  Query query(const char* sql);
  // A single integer from a query such as "PRAGMA user_version".
  Result<std::int64_t> scalar(const char* sql);

  // The integer in the first column of the first row of `sql` (cached, as query()), or
  // nothing when it returns no row.
  Result<std::optional<std::int64_t>> first_int(const char* sql);

  // BEGIN IMMEDIATE; body; COMMIT — or ROLLBACK when body fails.
  template <class Body>
  Status transaction(Body&& body) {
    if (Status s = exec("BEGIN IMMEDIATE"); !s) return s;
    Status s = body();
    if (!s) {
      exec("ROLLBACK");
      return s;
    }
    if (Status c = exec("COMMIT"); !c) {
      exec("ROLLBACK");
      return c;
    }
    return Status::ok();
  }

  // PRAGMA wal_checkpoint(TRUNCATE): copies every WAL frame into the database file and
  // truncates the WAL to zero bytes, so no old page image (deleted rows included) stays
  // there. Waits for readers up to `max_wait` (not the connection's busy timeout: the
  // writer must not stall behind a long read); kUnavailable when one still holds an old
  // snapshot then. REQUIRES: no transaction open on this connection.
  Status checkpoint_truncate(std::chrono::milliseconds max_wait = std::chrono::seconds(1));

  // PRAGMA quick_check: kInternal naming the first problem unless the file is sound.
  // Reads every page: seconds for a large, uncached database.
  Status quick_check();
  // Makes the statement running on this connection fail with SQLITE_INTERRUPT soon. The one
  // call that may come from another thread, as long as the connection stays open meanwhile.
  void interrupt();

  std::int64_t changes() const;
  // False once SQLite rolled back the open transaction by itself, as it may after
  // SQLITE_FULL or an I/O error.
  bool in_transaction() const;
  // Rows changed since the connection opened, triggers included.
  std::int64_t total_changes() const;
  std::int64_t last_insert_rowid() const;
  const std::string& path() const { return path_; }

 private:
  friend class Query;
  Database(sqlite3* handle, std::string path, int busy_timeout_ms)
      : handle_(handle), path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms) {}
  Status error(int rc, std::string_view what) const;

  sqlite3* handle_;
  std::string path_;
  int busy_timeout_ms_;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace xchat::store
