#include "store/database.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "support/memory_database.hpp"

namespace xchat {
namespace {

using ::xchat::testing::migrated_memory_database;

constexpr const char* kCreateRows = "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2)";
constexpr const char* kSelectAll = "SELECT x FROM t ORDER BY x";
constexpr const char* kCount = "SELECT count(*) FROM t";
constexpr const char* kNoSuchTable = "SELECT x FROM no_such_table";

// The store's integrity check is cancelled from another thread by sqlite3_interrupt, which
// may land while the check's statement is still being prepared: that use fails with a
// status, like a step would, instead of being taken for a bug in the SQL.
TEST(Database, AnInterruptWhilePreparingFailsThatQueryOnly) {
  auto db = migrated_memory_database();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->exec(kCreateRows));
  {
    // While a statement runs on the connection, SQLite keeps the interrupt pending for the
    // next prepare (its parser checks for one between tokens).
    store::Query running = db->query(kSelectAll);
    ASSERT_TRUE(running.step());
    db->interrupt();
    store::Query interrupted = db->query(kCount);
    interrupted.bind(1, 7).bind_text(2, "ignored").bind_blob(3, "ignored").bind_null(4);
    EXPECT_FALSE(interrupted.step());
    EXPECT_NE(interrupted.status().message().find("interrupt"), std::string::npos)
        << interrupted.status().message();
    EXPECT_FALSE(interrupted.run());
  }
  // Nothing broken was cached: the same statement prepares and runs now.
  store::Query count = db->query(kCount);
  ASSERT_TRUE(count.step()) << count.status().message();
  EXPECT_EQ(count.column_int(0), 2);
}

TEST(Database, BadSqlInANamedConstantIsAProgrammingError) {
  auto db = migrated_memory_database();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->exec(kCreateRows));
  EXPECT_THROW(db->query(kNoSuchTable), std::logic_error);
}

}  // namespace
}  // namespace xchat
