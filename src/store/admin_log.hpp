#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/database.hpp"

// The audit trail of operator actions (xchatd admin ...). Never holds secrets: invite
// codes are recorded by count, not value.
namespace xchat::store::admin_log {

struct Entry {
  std::int64_t at = 0;
  std::string action;
  std::string target;
  std::string detail;
};

Status append(Database& db, const Entry& entry);
Result<std::vector<Entry>> recent(Database& db, std::int64_t limit);

}  // namespace xchat::store::admin_log
