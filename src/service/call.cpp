#include "service/call.hpp"

#include "proto/reply.hpp"

namespace xchat {

void Call::ok(const nlohmann::json& result) const { peer_->reply(proto::encode_result(id_, result)); }

void Call::fail(const Status& status) const {
  metrics_->count_error(status.code());
  peer_->reply(proto::encode_error(id_, status));
}

}  // namespace xchat
