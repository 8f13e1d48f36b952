#include "proto/envelope_push.hpp"

#include "proto/reply.hpp"
#include "xchat/base64.hpp"

namespace xchat::proto {

namespace {

constexpr std::string_view kPushHead = R"({"type":"envelopes","envelopes":[)";
constexpr std::string_view kPushTail = "]}";

std::string encode_envelopes_push(std::span<const std::string> items) {
  std::size_t size = kPushHead.size() + kPushTail.size() + items.size();
  for (const auto& item : items) size += item.size();
  std::string frame;
  frame.reserve(size);
  frame += kPushHead;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) frame += ',';
    frame += items[i];
  }
  frame += kPushTail;
  return frame;
}

}  // namespace

std::string encode_envelope_item(const store::envelopes::Envelope& e, bool ephemeral) {
  nlohmann::json item = {{"from", e.sender_handle},
                         {"from_device", e.sender_device},
                         {"message_id", base64_encode(e.message_id)},
                         {"timestamp", e.accepted_at},
                         {"ciphertext", base64_encode(e.ciphertext)}};
  if (ephemeral) {
    item["ephemeral"] = true;
  } else {
    item["seq"] = e.seq;
  }
  if (e.request) item["request"] = true;
  return dump(item);
}

std::vector<std::string> encode_envelopes_pushes(std::span<const std::string> items) {
  std::vector<std::string> frames;
  std::size_t begin = 0;
  while (begin < items.size()) {
    std::size_t end = begin;
    std::size_t bytes = 0;
    do {
      bytes += items[end++].size();
    } while (end < items.size() && bytes + items[end].size() <= kMaxEnvelopeBatchBytes);
    frames.push_back(encode_envelopes_push(items.subspan(begin, end - begin)));
    begin = end;
  }
  return frames;
}

const std::string& queue_empty_push() {
  static const std::string frame = encode_push("queue_empty", nlohmann::json::object());
  return frame;
}

}  // namespace xchat::proto
