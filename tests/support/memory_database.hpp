#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "store/database.hpp"
#include "store/migrations.hpp"

namespace xchat::testing {

// An in-memory database at the latest schema, for the store's unit tests; null, with the
// failure recorded, when it cannot be made (follow with ASSERT_NE(db, nullptr)).
inline std::unique_ptr<store::Database> migrated_memory_database() {
  store::Database::Options options;
  options.path = ":memory:";
  auto db = store::Database::open(options);
  if (!db) {
    ADD_FAILURE() << db.status().message();
    return nullptr;
  }
  if (Status migrated = store::migrate(**db); !migrated) {
    ADD_FAILURE() << migrated.message();
    return nullptr;
  }
  return std::move(*db);
}

}  // namespace xchat::testing
