#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>

#include "app/config.hpp"

namespace xchat {

// `xchatd admin ...`: operator commands run against the data directory of the daemon's
// configuration, safely while the daemon runs (SQLite WAL; one short write transaction
// per command). Every change is recorded in the admin_log table and logged.
//
// Registers the subcommands on `admin` and returns the function that runs whichever was
// chosen; it returns the process exit code (0 done, 1 refused or failed).
std::function<int(const Config&)> add_admin_commands(CLI::App& admin);

}  // namespace xchat
