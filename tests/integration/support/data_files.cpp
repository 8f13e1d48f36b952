#include "integration/support/data_files.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

namespace xchat::testing {

namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

// Runs `sql` on the daemon's database; `row` sees the statement at each row. Returns
// sqlite3_changes(), or -1 with the failure recorded.
template <class Row>
std::int64_t run(const Daemon& daemon, const std::string& sql, Row row) {
  const std::string path = daemon.data_dir() + "/xchatd.db";
  sqlite3* raw = nullptr;
  const int opened = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  std::unique_ptr<sqlite3, CloseDatabase> db(raw);
  if (opened != SQLITE_OK) {
    ADD_FAILURE() << path << ": " << sqlite3_errstr(opened);
    return -1;
  }
  sqlite3_busy_timeout(db.get(), 5000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db.get());
    return -1;
  }
  std::unique_ptr<sqlite3_stmt, FinalizeStatement> statement(stmt);
  for (;;) {
    const int step = sqlite3_step(stmt);
    if (step == SQLITE_DONE) break;
    if (step != SQLITE_ROW) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db.get());
      return -1;
    }
    row(stmt);
  }
  return sqlite3_changes(db.get());
}

}  // namespace

std::vector<std::string> files_containing(const std::string& dir, const std::string& needle) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    if (read_all(entry.path()).find(needle) != std::string::npos) {
      found.push_back(entry.path().string());
    }
  }
  return found;
}

std::int64_t sql_integer(const Daemon& daemon, const std::string& sql) {
  bool have_row = false;
  std::int64_t value = -1;
  const std::int64_t ran = run(daemon, sql, [&](sqlite3_stmt* stmt) {
    if (!have_row) value = sqlite3_column_int64(stmt, 0);
    have_row = true;
  });
  if (ran >= 0 && !have_row) ADD_FAILURE() << sql << ": no row";
  return ran >= 0 && have_row ? value : -1;
}

std::int64_t sql_execute(const Daemon& daemon, const std::string& sql) {
  return run(daemon, sql, [](sqlite3_stmt*) {});
}

}  // namespace xchat::testing
