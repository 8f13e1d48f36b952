#include "store/wal_coalescing_vfs.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "store/database.hpp"
#include "support/temp_dir.hpp"

namespace xchat {
namespace {

using store::Database;
using ::xchat::testing::TempDir;

constexpr const char* kCreateTable = "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB NOT NULL)";
constexpr const char* kInsert = "INSERT INTO t (k, v) VALUES (?1, randomblob(?2))";
constexpr const char* kRewriteEveryTenth = "UPDATE t SET v = randomblob(300) WHERE k % 10 = 0";

std::unique_ptr<Database> open_database(const std::string& path, const char* synchronous) {
  Database::Options options;
  options.path = path;
  options.synchronous = synchronous;
  auto db = Database::open(options);
  if (!db) {
    ADD_FAILURE() << db.status().message();
    return nullptr;
  }
  return std::move(*db);
}

Status insert_rows(Database& db, int first, int count, int bytes) {
  return db.transaction([&] {
    for (int k = first; k < first + count; ++k) {
      if (Status s = db.query(kInsert).bind(1, k).bind(2, bytes).run(); !s) return s;
    }
    return Status::ok();
  });
}

// What another process would find in the files now: a copy of the database and its WAL,
// opened through SQLite's own VFS. This is the state a kill -9 leaves behind.
struct Snapshot {
  std::int64_t rows = -1;
  std::string integrity;
};

Snapshot snapshot_of(const TempDir& dir, const std::string& name) {
  const auto copy = dir.file("copy-" + name);
  std::filesystem::copy_file(dir.file(name), copy);
  if (std::filesystem::exists(dir.file(name + "-wal"))) {
    std::filesystem::copy_file(dir.file(name + "-wal"), copy + "-wal");
  }
  Snapshot result;
  sqlite3* handle = nullptr;
  if (sqlite3_open_v2(copy.c_str(), &handle, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(handle, "SELECT count(*) FROM t", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      result.rows = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    if (sqlite3_prepare_v2(handle, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      result.integrity = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(handle);
  for (const auto& file : {copy, copy + "-wal", copy + "-shm"}) std::filesystem::remove(file);
  return result;
}

// Write system calls made by this process so far (/proc/self/io "syscw").
std::int64_t write_syscalls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::int64_t value = -1;
  while (io >> key >> value) {
    if (key == "syscw:") return value;
  }
  return -1;
}

TEST(WalCoalescingVfs, IsRegistered) {
  ASSERT_NE(store::wal_coalescing_vfs(), nullptr);
  EXPECT_NE(sqlite3_vfs_find(store::wal_coalescing_vfs()), nullptr);
}

// synchronous=NORMAL commits without a sync: the frames must still be in the kernel when
// COMMIT returns, or a process crash would lose what NORMAL promises to keep.
TEST(WalCoalescingVfs, ACommitIsInTheFilesWhenCommitReturns) {
  TempDir dir("xchat-walvfs");
  auto db = open_database(dir.file("a.db"), "NORMAL");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->exec(kCreateTable));
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(insert_rows(*db, round * 100, 100, 200));
    const Snapshot snapshot = snapshot_of(dir, "a.db");
    EXPECT_EQ(snapshot.rows, (round + 1) * 100);
    EXPECT_EQ(snapshot.integrity, "ok");
  }
}

// Another connection (here through SQLite's own VFS) sees a commit the moment it returns:
// the frames reached the file before the wal-index announced them.
TEST(WalCoalescingVfs, AnotherConnectionSeesEachCommitAtOnce) {
  TempDir dir("xchat-walvfs");
  auto db = open_database(dir.file("a.db"), "FULL");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->exec(kCreateTable));
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open_v2(dir.file("a.db").c_str(), &other, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* count = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(other, "SELECT count(*) FROM t", -1, &count, nullptr), SQLITE_OK);
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(insert_rows(*db, round * 10, 10, 100));
    ASSERT_EQ(sqlite3_step(count), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(count, 0), (round + 1) * 10);
    sqlite3_reset(count);
  }
  sqlite3_finalize(count);
  sqlite3_close(other);
}

// The point of the VFS: a transaction that dirties hundreds of pages reaches the WAL in a
// write per 64 KiB (16 pages), where SQLite alone makes two per page.
TEST(WalCoalescingVfs, ATransactionOfManyPagesTakesAFewWrites) {
  TempDir dir("xchat-walvfs");
  auto db = open_database(dir.file("a.db"), "FULL");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->exec(kCreateTable));
  // The multi-row UPDATE below keeps a statement journal; in memory, its writes do not
  // count with the WAL's.
  ASSERT_TRUE(db->exec("PRAGMA temp_store=MEMORY"));
  Status inserted = insert_rows(*db, 0, 4000, 300);
  ASSERT_TRUE(inserted) << inserted.message();
  ASSERT_TRUE(db->exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  ASSERT_EQ(std::filesystem::file_size(dir.file("a.db-wal")), 0u);

  const auto before = write_syscalls();
  ASSERT_GE(before, 0) << "/proc/self/io has no syscw";
  ASSERT_TRUE(db->transaction([&] { return db->exec(kRewriteEveryTenth); }));
  const auto writes = write_syscalls() - before;

  // Every tenth row of ~12 per page: nearly every one of the ~300 leaf pages was written.
  const auto pages = std::filesystem::file_size(dir.file("a.db-wal")) / 4096;
  EXPECT_GE(pages, 250u);
  // A write per 16 pages plus the few SQLite makes itself (a few more in the sanitizer
  // build): against two per page without the VFS.
  EXPECT_LE(writes, static_cast<std::int64_t>(pages / 16 + 8))
      << pages << " pages took " << writes << " writes";
  EXPECT_EQ(snapshot_of(dir, "a.db").integrity, "ok");
}

// Past the buffer's bound a transaction goes out in pieces; a rolled-back transaction whose
// pages spilled into the WAL is overwritten by the next one. Both leave a sound file.
TEST(WalCoalescingVfs, LargeAndRolledBackTransactionsLeaveASoundFile) {
  TempDir dir("xchat-walvfs");
  auto db = open_database(dir.file("a.db"), "NORMAL");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->exec(kCreateTable));
  ASSERT_TRUE(db->exec("PRAGMA cache_size=20"));  // forces pages to spill mid-transaction

  ASSERT_TRUE(insert_rows(*db, 0, 2000, 8000));  // ~16 MiB in one transaction
  EXPECT_FALSE(db->transaction([&] {
    for (int k = 2000; k < 3000; ++k) {
      if (Status s = db->query(kInsert).bind(1, k).bind(2, 8000).run(); !s) return s;
    }
    return Status(ErrorCode::kInternal, "rolled back on purpose");
  }));
  ASSERT_TRUE(insert_rows(*db, 5000, 10, 100));

  const Snapshot snapshot = snapshot_of(dir, "a.db");
  EXPECT_EQ(snapshot.rows, 2010);
  EXPECT_EQ(snapshot.integrity, "ok");
  const auto rows = db->scalar("SELECT count(*) FROM t");
  ASSERT_TRUE(rows);
  EXPECT_EQ(*rows, 2010);
}

}  // namespace
}  // namespace xchat
