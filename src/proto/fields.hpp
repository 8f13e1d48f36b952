#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xchat/handle.hpp"
#include "xchat/status.hpp"

// Typed, bounded access to the fields of a request object. Every failure is a Status
// naming the field: kBadRequest for missing/ill-typed/ill-encoded, kTooLarge for over a
// limit. No exceptions.
namespace xchat::proto {

Result<std::string> string_field(const nlohmann::json& obj, std::string_view name,
                                 std::size_t max_chars);
// Like string_field, but an absent field (or null) is nullopt.
Result<std::optional<std::string>> optional_string_field(const nlohmann::json& obj,
                                                         std::string_view name,
                                                         std::size_t max_chars);
// Base64 text that must decode to exactly `bytes` bytes.
Result<std::string> bytes_field(const nlohmann::json& obj, std::string_view name,
                                std::size_t bytes);
// Base64 text of 1..max_bytes bytes (kTooLarge past it).
Result<std::string> blob_field(const nlohmann::json& obj, std::string_view name,
                               std::size_t max_bytes);
// `absent` when the field is left out.
Result<bool> optional_bool_field(const nlohmann::json& obj, std::string_view name, bool absent);
// A non-empty array of integers >= min, at most max_items long (kTooLarge past it).
Result<std::vector<std::int64_t>> int_array_field(const nlohmann::json& obj, std::string_view name,
                                                  std::size_t max_items, std::int64_t min);
Result<std::uint32_t> u32_field(const nlohmann::json& obj, std::string_view name, std::uint32_t min,
                                std::uint32_t max);
// A handle: kInvalidHandle unless it follows the handle rules (kTooLarge past
// kMaxHandleFieldBytes, far beyond any handle).
Result<Handle> handle_field(const nlohmann::json& obj, std::string_view name);
// REQUIRES: the returned pointer does not outlive `obj`.
Result<const nlohmann::json*> object_field(const nlohmann::json& obj, std::string_view name);

}  // namespace xchat::proto
