#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "integration/support/daemon.hpp"

namespace xchat::testing {

// The daemon's files as someone holding its disk sees them, and its database as an operator
// with sqlite3 does. The database is <data dir>/xchatd.db, in WAL mode: a second connection
// may read and write it beside the running daemon.

// The regular files under `dir`, recursively, whose bytes contain `needle`.
std::vector<std::string> files_containing(const std::string& dir, const std::string& needle);

// The first column of the first row of `sql` on `daemon`'s database, as an integer; -1, with
// the failure recorded, when the statement fails or returns no row.
std::int64_t sql_integer(const Daemon& daemon, const std::string& sql);

// Runs `sql`, one statement, on `daemon`'s database; returns how many rows it changed, or
// -1, with the failure recorded, when it fails.
std::int64_t sql_execute(const Daemon& daemon, const std::string& sql);

}  // namespace xchat::testing
