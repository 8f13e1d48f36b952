#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/database.hpp"

// Invite codes for access.registration = invite. A code admits one registration.
namespace xchat::store::invites {

Status insert(Database& db, const std::string& code, std::int64_t now,
              std::optional<std::int64_t> expires_at);

// Marks the code used by `account_id`. kInviteInvalid when it is unknown, used or expired.
Status consume(Database& db, const std::string& code, std::int64_t account_id, std::int64_t now);

}  // namespace xchat::store::invites
