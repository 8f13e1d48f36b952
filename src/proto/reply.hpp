#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "xchat/status.hpp"

// The server's frames: replies echo the request's id; pushes carry a "type" and no id.
namespace xchat::proto {

// {"id": <id>, "result": <result>}
std::string encode_result(const nlohmann::json& id, const nlohmann::json& result);
// {"id": <id>, "error": {"code": "<code>", "message": "<message>"}}
// `details`, an object, adds fields to "error" (what the code's documentation lists).
std::string encode_error(const nlohmann::json& id, const Status& status,
                         nlohmann::json details = nlohmann::json::object());
// {"type": "<type>", ...fields}
std::string encode_push(std::string_view type, nlohmann::json fields);

// Compact JSON text of a frame or a part of one. Invalid UTF-8 cannot reach here from
// clients (the parser rejects it), but replacing rather than throwing keeps a stray byte
// from ever killing a session.
std::string dump(const nlohmann::json& j);

}  // namespace xchat::proto
