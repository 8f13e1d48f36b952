#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "store/database.hpp"

namespace xchat::store {

// The schema's history: migration i (0-based) takes the database from user_version i to
// i + 1. Forward only; never edit a released migration, append a new one.
std::span<const char* const> migrations();

// Brings `db` to the latest schema, one transaction per step. Refuses a database whose
// user_version is newer than this binary knows (a downgrade would corrupt it).
// `target` stops early (for tests of the upgrade path); nullopt means the latest.
Status migrate(Database& db, std::optional<std::int64_t> target = std::nullopt);

}  // namespace xchat::store
