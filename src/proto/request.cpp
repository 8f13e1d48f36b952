#include "proto/request.hpp"

namespace xchat::proto {

namespace {

// Depth of [ and { nesting outside strings.
bool depth_within(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

}  // namespace

Request decode_request(std::string_view frame) {
  Request r;
  if (!depth_within(frame, kMaxJsonDepth)) {
    r.status = Status(ErrorCode::kBadRequest,
                      "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return r;
  }
  r.body = nlohmann::json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (r.body.is_discarded()) {
    r.body = nullptr;
    r.status = Status(ErrorCode::kBadRequest, "the frame is not valid JSON (UTF-8)");
    return r;
  }
  if (!r.body.is_object()) {
    r.status = Status(ErrorCode::kBadRequest, "the frame must be a JSON object");
    return r;
  }
  auto id = r.body.find("id");
  if (id == r.body.end()) {
    r.status = Status(ErrorCode::kBadRequest, "missing field 'id'");
  } else if (id->is_number_integer() ||
             (id->is_string() && id->get_ref<const std::string&>().size() <= kMaxIdChars)) {
    r.id = *id;
  } else {
    r.status =
        Status(ErrorCode::kBadRequest, "field 'id' must be an integer or a string of at most " +
                                           std::to_string(kMaxIdChars) + " characters");
    return r;
  }
  auto type = r.body.find("type");
  if (type == r.body.end()) {
    if (r.status) r.status = Status(ErrorCode::kBadRequest, "missing field 'type'");
  } else if (!type->is_string()) {
    if (r.status) r.status = Status(ErrorCode::kBadRequest, "field 'type' must be a string");
  } else {
    r.type = type->get<std::string>();
  }
  return r;
}

}  // namespace xchat::proto
