#include "service/call.hpp"

#include <spdlog/spdlog.h>

#include "proto/reply.hpp"

namespace xchat {

void Call::ok(const nlohmann::json& result) const {
  peer_->reply(proto::encode_result(id_, result));
}

void Call::fail(const Status& status) const { fail(status, nlohmann::json::object()); }

void Call::fail(const Status& status, nlohmann::json details) const {
  metrics_->count_error(status.code());
  if (status.code() == ErrorCode::kInternal) {
    // The detail (often SQLite's) is for the operator; the client only needs to retry.
    spdlog::error("internal error: {}", status.message());
    peer_->reply(proto::encode_error(id_, Status(ErrorCode::kInternal, "internal server error")));
    return;
  }
  peer_->reply(proto::encode_error(id_, status, std::move(details)));
}

}  // namespace xchat
