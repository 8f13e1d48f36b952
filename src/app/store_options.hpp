#pragma once

#include "app/config.hpp"
#include "store/store.hpp"

namespace xchat {

// The store as the configuration describes it ([server] data_dir and [storage]): one
// mapping for the daemon, the admin CLI and the fuzz harness, so that none of them opens
// the database with settings the operator did not choose.
store::Store::Options store_options(const Config& config);

}  // namespace xchat
