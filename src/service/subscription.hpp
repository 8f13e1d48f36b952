#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

namespace xchat {

inline bool subscription_active(std::optional<std::int64_t> until, std::int64_t now) {
  return until.has_value() && *until > now;
}

// The "subscription" object of login and account.info replies.
inline nlohmann::json subscription_json(std::optional<std::int64_t> until, bool required,
                                        std::int64_t now) {
  return {{"required", required},
          {"active", subscription_active(until, now)},
          {"until", until ? nlohmann::json(*until) : nlohmann::json(nullptr)}};
}

}  // namespace xchat
