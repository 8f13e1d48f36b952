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

// Written out by hand: this runs once per delivered envelope, and building an
// nlohmann::json object (a std::map) only to serialize it cost more than everything else
// on the delivery path. Keys in the order nlohmann would sort them.
std::string encode_envelope_item(const store::envelopes::Envelope& e, bool ephemeral) {
  const std::string ciphertext = base64_encode(e.ciphertext);
  const std::string from = dump(nlohmann::json(e.sender_handle));  // escaped, whatever it holds
  std::string item;
  item.reserve(ciphertext.size() + from.size() + 160);
  item += R"({"ciphertext":")";
  item += ciphertext;
  item += '"';
  if (e.kind == store::envelopes::Kind::kEdit) {
    item += R"(,"edits":")";
    item += base64_encode(e.refers_to);
    item += '"';
  }
  if (ephemeral) item += R"(,"ephemeral":true)";
  if (e.expires_at != 0) {
    item += R"(,"expires_at":)";
    item += std::to_string(e.expires_at);
  }
  item += R"(,"from":)";
  item += from;
  item += R"(,"from_device":)";
  item += std::to_string(e.sender_device);
  item += R"(,"message_id":")";
  item += base64_encode(e.message_id);
  item += '"';
  if (e.request) item += R"(,"request":true)";
  if (e.kind == store::envelopes::Kind::kUnsend) {
    item += R"(,"retracts":")";
    item += base64_encode(e.refers_to);
    item += '"';
  }
  if (!ephemeral) {
    item += R"(,"seq":)";
    item += std::to_string(e.seq);
  }
  item += R"(,"timestamp":)";
  item += std::to_string(e.accepted_at);
  item += '}';
  return item;
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
