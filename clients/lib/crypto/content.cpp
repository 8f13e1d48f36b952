#include "crypto/content.hpp"

#include "crypto/byte_reader.hpp"
#include "xchat/signing.hpp"

namespace xchat::client {

namespace {

constexpr std::string_view kLabel = "xchat-content-v1";
constexpr std::size_t kMaxHandleBytes = 64;
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
  if (r.take(kLabel.size()) != kLabel || r.take(1) != std::string(1, '\0')) return std::nullopt;
  Content c;
  const std::string type = r.sized(1);
  const std::string timestamp = r.sized(8);
  c.sender_handle = r.sized(kMaxHandleBytes);
  const std::string device = r.sized(4);
  c.message_id = r.sized(kMessageIdBytes);
  c.recipient = r.sized(kMaxHandleBytes);
  c.body = r.sized(kMaxBodyBytes);
  if (!r.at_end() || type.size() != 1 || timestamp.size() != 8 || device.size() != 4 ||
      c.message_id.size() != kMessageIdBytes) {
    return std::nullopt;
  }
  const auto t = static_cast<std::uint8_t>(type[0]);
  if (t < static_cast<std::uint8_t>(ContentType::kText) ||
      t > static_cast<std::uint8_t>(ContentType::kControl)) {
    return std::nullopt;
  }
  c.type = static_cast<ContentType>(t);
  c.timestamp_ms = static_cast<std::int64_t>(ByteReader(timestamp).big_endian(8));
  c.sender_device = ByteReader(device).u32();
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
