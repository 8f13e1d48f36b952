#include "store/database.hpp"

#include <sqlite3.h>

#include "store/free_space_gate.hpp"
#include "store/wal_coalescing_vfs.hpp"

namespace xchat::store {

Query::~Query() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Query& Query::bind(int index, std::int64_t value) {
  if (stmt_ != nullptr) sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Query& Query::bind_text(int index, std::string_view value) {
  if (stmt_ != nullptr) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  return *this;
}

Query& Query::bind_blob(int index, std::string_view value) {
  if (stmt_ != nullptr) {
    sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  return *this;
}

Query& Query::bind_null(int index) {
  if (stmt_ != nullptr) sqlite3_bind_null(stmt_, index);
  return *this;
}

bool Query::step() {
  if (stmt_ == nullptr) return false;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) {
    constraint_failed_ = (rc & 0xff) == SQLITE_CONSTRAINT;
    status_ = db_.error(rc, "step");
  }
  return false;
}

Status Query::run() {
  while (step()) {
  }
  return status_;
}

std::int64_t Query::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Query::column_text(int index) const {
  const auto* p = sqlite3_column_text(stmt_, index);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p),
                                    static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::string Query::column_blob(int index) const {
  const void* p = sqlite3_column_blob(stmt_, index);
  return p == nullptr ? std::string()
                      : std::string(static_cast<const char*>(p),
                                    static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

bool Query::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

namespace {

// SQLite reports ENOSPC as SQLITE_FULL; a file-size limit or a quota shows as an I/O error
// whose system errno says so.
ErrorCode code_of(int rc, sqlite3* handle) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return ErrorCode::kUnavailable;
  if (primary == SQLITE_FULL) return ErrorCode::kStorageFull;
  if (primary == SQLITE_IOERR && handle != nullptr &&
      is_out_of_space(sqlite3_system_errno(handle))) {
    return ErrorCode::kStorageFull;
  }
  return ErrorCode::kInternal;
}

// The message goes to clients as is: a full disk should read as one, not as a fault.
Status failure(int rc, sqlite3* handle, std::string message) {
  const ErrorCode code = code_of(rc, handle);
  if (code == ErrorCode::kStorageFull)
    message = std::string("the server's storage is full: ") + message;
  return Status(code, std::move(message));
}

// Library-wide settings, applied before SQLite initializes (later calls are refused, and
// harmless). Every connection is owned by one thread (SQLITE_OPEN_NOMUTEX), so the global
// allocation statistics and the mutex around each of SQLite's mallocs buy nothing.
bool configure_library() {
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  return true;
}

}  // namespace

Result<std::unique_ptr<Database>> Database::open(const Options& options) {
  static const bool configured = configure_library();
  (void)configured;
  sqlite3* handle = nullptr;
  const int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(options.path.c_str(), &handle, flags, wal_coalescing_vfs());
  std::unique_ptr<Database> db(new Database(handle, options.path, options.busy_timeout_ms));
  if (rc != SQLITE_OK) return db->error(rc, "open " + options.path);
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, options.busy_timeout_ms);

  // secure_delete zeroes freed content so deleted rows cannot be carved from free pages.
  const std::string pragmas =
      options.read_only
          ? std::string("PRAGMA query_only=ON; PRAGMA foreign_keys=ON;")
          : "PRAGMA journal_mode=WAL; PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON; "
            "PRAGMA synchronous=" +
                options.synchronous + ";";
  // The first statement is where a file that is not a database shows: name it.
  if (Status s = db->exec(pragmas.c_str()); !s) {
    return Status(s.code(), options.path + ": " + s.message());
  }
  return db;
}

Database::~Database() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(handle_);
}

Status Database::exec(const char* sql) {
  char* msg = nullptr;
  const int rc = sqlite3_exec(handle_, sql, nullptr, nullptr, &msg);
  if (rc == SQLITE_OK) return Status::ok();
  std::string text = msg != nullptr ? msg : sqlite3_errstr(rc);
  sqlite3_free(msg);
  return failure(rc, handle_, "sqlite: " + text);
}

Query Database::query(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(handle_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    // SQLITE_ERROR is a programming error in a named SQL constant (syntax, an unknown table
    // or column): the statement would fail every time, so fail loudly at first use rather
    // than limp on. Anything else is the moment's (an interrupt from another thread while
    // the schema loads, an I/O error, a full memory) and fails only this use.
    if (rc == SQLITE_ERROR) {
      throw std::logic_error(std::string("bad SQL: ") + sqlite3_errmsg(handle_) + ": " + sql);
    }
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return Query(*this, error(rc, "prepare"));
    }
    it = statements_.emplace(sql, stmt).first;
  }
  return Query(*this, it->second);
}

Result<std::int64_t> Database::scalar(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(handle_, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return error(rc, "prepare");
  rc = sqlite3_step(stmt);
  std::int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return error(rc, "step");
  return v;
}

std::int64_t Database::changes() const { return sqlite3_changes64(handle_); }

Result<std::optional<std::int64_t>> Database::first_int(const char* sql) {
  Query q = query(sql);
  if (q.step()) return std::optional<std::int64_t>(q.column_int(0));
  if (!q.status()) return q.status();
  return std::optional<std::int64_t>();
}

Status Database::checkpoint_truncate(std::chrono::milliseconds max_wait) {
  sqlite3_busy_timeout(handle_, static_cast<int>(max_wait.count()));
  const int rc =
      sqlite3_wal_checkpoint_v2(handle_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  sqlite3_busy_timeout(handle_, busy_timeout_ms_);
  return rc == SQLITE_OK ? Status::ok() : error(rc, "wal_checkpoint(TRUNCATE)");
}

Status Database::quick_check() {
  Query check = query("PRAGMA quick_check");
  // quick_check returns "ok" as its only row when the file is sound.
  if (check.step() && check.column_text(0) == "ok") return Status::ok();
  return Status(ErrorCode::kInternal,
                path_ + ": PRAGMA quick_check failed: " +
                    (check.status() ? check.column_text(0) : check.status().message()));
}

void Database::interrupt() { sqlite3_interrupt(handle_); }

bool Database::in_transaction() const { return sqlite3_get_autocommit(handle_) == 0; }

std::int64_t Database::total_changes() const { return sqlite3_total_changes64(handle_); }

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(handle_); }

Status Database::error(int rc, std::string_view what) const {
  std::string msg = "sqlite " + std::string(what) + ": ";
  msg += handle_ != nullptr ? sqlite3_errmsg(handle_) : sqlite3_errstr(rc);
  return failure(rc, handle_, std::move(msg));
}

}  // namespace xchat::store
