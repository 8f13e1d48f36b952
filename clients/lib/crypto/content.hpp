#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/crypto_error.hpp"
#include "crypto/x3dh.hpp"

namespace xchat::client {

// What a message says, inside its encryption: the server sees none of it. Receipts and
// typing indicators are contents like any other, so the server cannot tell them from
// messages.
enum class ContentType : std::uint8_t {
  kText = 1,     // body: UTF-8 text
  kReceipt = 2,  // body: u8 kind (1 delivered, 2 read) || the 16-byte ids it acknowledges
  kTyping = 3,   // body: u8 (1 started, 0 stopped)
  kControl = 4,  // body: a control message of the client (its own specification)
};

struct Content {
  ContentType type = ContentType::kText;
  std::int64_t timestamp_ms = 0;  // the sender's clock when it wrote the message
  std::string sender_handle;      // canonical, "@alice"
  std::uint32_t sender_device = 0;
  std::string message_id;  // 16 bytes: the envelope's message_id
  // Empty, except in the copies a sender makes for its own other devices: then the
  // canonical handle the message went to (the envelope says only who sent it).
  std::string recipient;
  std::string body;

  // fields("xchat-content-v1", u8 type, u64 timestamp, handle, u32 device, message id,
  //        recipient, body)
  std::string encode() const;
  // Nothing when the bytes are not exactly such an encoding (unknown type included).
  static std::optional<Content> decode(std::string_view bytes);
};

// Decodes a decrypted plaintext and checks it against what authenticated it: the session's
// peer must be the sender it names, and the envelope's message id the one it carries (so
// neither the server nor another device can re-label a message).
CryptoResult<Content> open_content(std::string_view plaintext, const Party& peer,
                                   std::string_view envelope_message_id);

}  // namespace xchat::client
