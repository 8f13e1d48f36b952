#include "crypto/content.hpp"

#include <algorithm>

#include "crypto/big_endian.hpp"
#include "crypto/byte_reader.hpp"
#include "xchat/handle.hpp"
#include "xchat/signing.hpp"

namespace xchat::client {

namespace {

constexpr std::string_view kLabel = "xchat-content-v1";
constexpr std::size_t kMessageIdBytes = 16;
constexpr std::size_t kMaxBodyBytes = 1 << 20;
constexpr std::size_t kTimerBodyBytes = 1 + 4;

// Whether `body` has the shape its type requires (text, receipts and typing are checked
// where they are used; these carry what decides which message is changed).
bool body_fits(ContentType type, std::string_view body) {
  switch (type) {
    case ContentType::kEdit:
      return body.size() >= kMessageIdBytes;
    case ContentType::kRetraction:
      return body.size() == kMessageIdBytes;
    case ContentType::kFile:
      return FileAttachment::decode(body).has_value();
    case ContentType::kControl:
      // Kinds a later version adds pass, for the receiver to ignore.
      return !body.empty() && (static_cast<std::uint8_t>(body[0]) != kControlTimer ||
                               body.size() == kTimerBodyBytes);
    default:
      return true;
  }
}

}  // namespace

std::string Content::encode() const {
  std::string out = labelled_fields(
      kLabel, {big_endian(static_cast<std::uint8_t>(type), 1),
               big_endian(static_cast<std::uint64_t>(timestamp_ms), 8), sender_handle,
               u32_field(sender_device), message_id, recipient, body});
  // One more length-prefixed field, as labelled_fields writes them.
  if (expires_in != 0) out += u32_field(4) + u32_field(expires_in);
  return out;
}

std::optional<Content> Content::decode(std::string_view bytes) {
  ByteReader r(bytes);
  r.expect_label(kLabel);
  Content c;
  const auto type = r.field_integer(1);
  c.timestamp_ms = static_cast<std::int64_t>(r.field_integer(8));
  c.sender_handle = r.sized(kMaxHandleFieldBytes);
  c.sender_device = r.field_u32();
  c.message_id = r.field(kMessageIdBytes);
  c.recipient = r.sized(kMaxHandleFieldBytes);
  c.body = r.sized(kMaxBodyBytes);
  if (r.ok() && !r.rest().empty()) {
    c.expires_in = r.field_u32();
    if (c.expires_in == 0) return std::nullopt;  // 0 is written by leaving the field out
  }
  if (!r.at_end() || type < static_cast<std::uint8_t>(ContentType::kText) ||
      type > static_cast<std::uint8_t>(ContentType::kFile)) {
    return std::nullopt;
  }
  c.type = static_cast<ContentType>(type);
  if (!body_fits(c.type, c.body)) return std::nullopt;
  return c;
}

std::string_view Content::target() const {
  return std::string_view(body).substr(0, kMessageIdBytes);
}

std::string_view Content::edit_text() const {
  return std::string_view(body).substr(std::min(body.size(), kMessageIdBytes));
}

std::uint32_t Content::timer_seconds() const {
  ByteReader r(body);
  r.take(1);
  const std::uint32_t seconds = r.u32();
  return r.at_end() ? seconds : 0;
}

std::optional<FileAttachment> Content::file() const { return FileAttachment::decode(body); }

std::string Content::edit_body(std::string_view target, std::string_view text) {
  return std::string(target) + std::string(text);
}

std::string Content::timer_body(std::uint32_t seconds) {
  return std::string(1, static_cast<char>(kControlTimer)) + u32_field(seconds);
}

CryptoResult<Content> open_content(std::string_view plaintext, const Party& peer,
                                   std::string_view envelope_message_id) {
  auto content = Content::decode(plaintext);
  if (!content) return CryptoError::kMalformed;
  if (content->sender_handle != peer.handle_key || content->sender_device != peer.device_id ||
      content->message_id != envelope_message_id) {
    return CryptoError::kMisattributed;
  }
  return std::move(*content);
}

}  // namespace xchat::client
