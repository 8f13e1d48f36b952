#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "store/database.hpp"

namespace xchat::store {

// The schema's history: migration i (0-based) takes the database from user_version i to
// i + 1. Forward only; never edit a released migration, append a new one.
std::span<const char* const> migrations();

// Brings `db` to the latest schema, one transaction per step. Refuses a database whose
// user_version is newer than this binary knows (a downgrade would corrupt it).
// `target` stops early (for tests of the upgrade path); nullopt means the latest.
Status migrate(Database& db, std::optional<std::int64_t> target = std::nullopt);

// The same for any schema history (the client's store has its own): step i takes
// user_version i to i + 1. `program` names the binary in the refusal of a newer file.
Status apply_steps(Database& db, std::span<const char* const> steps, std::string_view program,
                   std::optional<std::int64_t> target = std::nullopt);

}  // namespace xchat::store
