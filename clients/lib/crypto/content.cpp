#include "crypto/content.hpp"

#include "crypto/byte_reader.hpp"
#include "xchat/handle.hpp"
#include "xchat/signing.hpp"

namespace xchat::client {

namespace {

constexpr std::string_view kLabel = "xchat-content-v1";
constexpr std::size_t kMessageIdBytes = 16;
constexpr std::size_t kMaxBodyBytes = 1 << 20;

std::string big_endian(std::uint64_t v, std::size_t bytes) {
  std::string out(bytes, '\0');
  for (std::size_t i = 0; i < bytes; ++i) {
    out[bytes - 1 - i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

}  // namespace

std::string Content::encode() const {
  return labelled_fields(kLabel,
                         {big_endian(static_cast<std::uint8_t>(type), 1),
                          big_endian(static_cast<std::uint64_t>(timestamp_ms), 8), sender_handle,
                          u32_field(sender_device), message_id, recipient, body});
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
  if (!r.at_end() || type < static_cast<std::uint8_t>(ContentType::kText) ||
      type > static_cast<std::uint8_t>(ContentType::kControl)) {
    return std::nullopt;
  }
  c.type = static_cast<ContentType>(type);
  return c;
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
