#include "proto/envelope_push.hpp"

#include "proto/reply.hpp"
#include "xchat/base64.hpp"

namespace xchat::proto {

std::string encode_envelope_push(const store::envelopes::Envelope& e, bool ephemeral) {
  nlohmann::json fields = {{"from", e.sender_handle},
                           {"from_device", e.sender_device},
                           {"message_id", base64_encode(e.message_id)},
                           {"timestamp", e.accepted_at},
                           {"ciphertext", base64_encode(e.ciphertext)}};
  if (ephemeral) {
    fields["ephemeral"] = true;
  } else {
    fields["seq"] = e.seq;
  }
  if (e.request) fields["request"] = true;
  return encode_push("envelope", std::move(fields));
}

const std::string& queue_empty_push() {
  static const std::string frame = encode_push("queue_empty", nlohmann::json::object());
  return frame;
}

}  // namespace xchat::proto
