#include "proto/reply.hpp"

namespace xchat::proto {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string encode_result(const json& id, const json& result) {
  // Spliced rather than wrapped in a new object, which would first copy all of `result`;
  // the bytes are the same ("id" sorts before "result").
  return R"({"id":)" + dump(id) + R"(,"result":)" + dump(result) + "}";
}

std::string encode_error(const json& id, const Status& status, json details) {
  details["code"] = to_string(status.code());
  details["message"] = status.message();
  return dump(json{{"id", id}, {"error", std::move(details)}});
}

std::string encode_push(std::string_view type, json fields) {
  fields["type"] = type;
  return dump(fields);
}

}  // namespace xchat::proto
