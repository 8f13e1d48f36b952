#include "proto/fields.hpp"

#include "xchat/base64.hpp"

namespace xchat::proto {

namespace {

using nlohmann::json;

Status missing(std::string_view name) {
  return Status(ErrorCode::kBadRequest, "missing field '" + std::string(name) + "'");
}

Status wrong_type(std::string_view name, std::string_view what) {
  return Status(ErrorCode::kBadRequest,
                "field '" + std::string(name) + "' must be " + std::string(what));
}

const json* find(const json& obj, std::string_view name) {
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

}  // namespace

Result<std::string> string_field(const json& obj, std::string_view name, std::size_t max_chars) {
  const json* v = find(obj, name);
  if (v == nullptr) return missing(name);
  if (!v->is_string()) return wrong_type(name, "a string");
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_chars) {
    return Status(ErrorCode::kTooLarge, "field '" + std::string(name) + "' is longer than " +
                                            std::to_string(max_chars) + " bytes");
  }
  return s;
}

Result<std::optional<std::string>> optional_string_field(const json& obj, std::string_view name,
                                                         std::size_t max_chars) {
  const json* v = find(obj, name);
  if (v == nullptr || v->is_null()) return std::optional<std::string>();
  auto s = string_field(obj, name, max_chars);
  if (!s) return s.status();
  return std::optional<std::string>(std::move(*s));
}

Result<std::string> bytes_field(const json& obj, std::string_view name, std::size_t bytes) {
  const std::size_t encoded = (bytes + 2) / 3 * 4;
  auto text = string_field(obj, name, encoded);
  if (!text) {
    if (text.status().code() == ErrorCode::kTooLarge) {
      return wrong_type(name, "base64 of " + std::to_string(bytes) + " bytes");
    }
    return text.status();
  }
  auto raw = base64_decode(*text);
  if (!raw) return wrong_type(name, "standard base64 with padding");
  if (raw->size() != bytes)
    return wrong_type(name, "base64 of " + std::to_string(bytes) + " bytes");
  return std::move(*raw);
}

Result<std::string> blob_field(const json& obj, std::string_view name, std::size_t max_bytes) {
  auto text = string_field(obj, name, (max_bytes + 2) / 3 * 4);
  if (!text) {
    if (text.status().code() == ErrorCode::kTooLarge) {
      return Status(ErrorCode::kTooLarge, "field '" + std::string(name) + "' is over " +
                                              std::to_string(max_bytes) + " bytes");
    }
    return text.status();
  }
  auto raw = base64_decode(*text);
  if (!raw) return wrong_type(name, "standard base64 with padding");
  if (raw->empty()) return wrong_type(name, "base64 of at least one byte");
  if (raw->size() > max_bytes) {
    return Status(ErrorCode::kTooLarge, "field '" + std::string(name) + "' is over " +
                                            std::to_string(max_bytes) + " bytes");
  }
  return std::move(*raw);
}

Result<bool> optional_bool_field(const json& obj, std::string_view name, bool absent) {
  const json* v = find(obj, name);
  if (v == nullptr) return absent;
  if (!v->is_boolean()) return wrong_type(name, "true or false");
  return v->get<bool>();
}

Result<std::vector<std::int64_t>> int_array_field(const json& obj, std::string_view name,
                                                  std::size_t max_items, std::int64_t min) {
  const json* v = find(obj, name);
  if (v == nullptr) return missing(name);
  const std::string what =
      "an array of 1.." + std::to_string(max_items) + " integers >= " + std::to_string(min);
  if (!v->is_array()) return wrong_type(name, what);
  if (v->empty()) return wrong_type(name, what);
  if (v->size() > max_items) {
    return Status(ErrorCode::kTooLarge, "field '" + std::string(name) + "' holds more than " +
                                            std::to_string(max_items) + " items");
  }
  std::vector<std::int64_t> out;
  out.reserve(v->size());
  for (const auto& item : *v) {
    if (!item.is_number_integer() ||
        (item.is_number_unsigned() && item.get<std::uint64_t>() > INT64_MAX)) {
      return wrong_type(name, what);
    }
    const auto i = item.get<std::int64_t>();
    if (i < min) return wrong_type(name, what);
    out.push_back(i);
  }
  return out;
}

Result<std::uint32_t> u32_field(const json& obj, std::string_view name, std::uint32_t min,
                                std::uint32_t max) {
  const json* v = find(obj, name);
  if (v == nullptr) return missing(name);
  const std::string range = "an integer in " + std::to_string(min) + ".." + std::to_string(max);
  if (!v->is_number_integer()) return wrong_type(name, range);
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    if (u < min || u > max) return wrong_type(name, range);
    return static_cast<std::uint32_t>(u);
  }
  const auto i = v->get<std::int64_t>();
  if (i < static_cast<std::int64_t>(min) || i > static_cast<std::int64_t>(max)) {
    return wrong_type(name, range);
  }
  return static_cast<std::uint32_t>(i);
}

Result<Handle> handle_field(const json& obj, std::string_view name) {
  auto text = string_field(obj, name, kMaxHandleFieldBytes);
  if (!text) return text.status();
  auto handle = parse_handle(*text);
  if (!handle) {
    return Status(ErrorCode::kInvalidHandle, "a handle is '@' then 1 to 15 of A-Z, a-z, 0-9 and _");
  }
  return std::move(*handle);
}

Result<const json*> object_field(const json& obj, std::string_view name) {
  const json* v = find(obj, name);
  if (v == nullptr) return missing(name);
  if (!v->is_object()) return wrong_type(name, "an object");
  return v;
}

}  // namespace xchat::proto
