#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/crypto_error.hpp"
#include "crypto/file_attachment.hpp"
#include "crypto/x3dh.hpp"

namespace xchat::client {

// What a message says, inside its encryption: the server sees none of it. Receipts and
// typing indicators are contents like any other, so the server cannot tell them from
// messages.
enum class ContentType : std::uint8_t {
  kText = 1,        // body: UTF-8 text
  kReceipt = 2,     // body: u8 kind (1 delivered, 2 read) || the 16-byte ids it acknowledges
  kTyping = 3,      // body: u8 (1 started, 0 stopped)
  kControl = 4,     // body: u8 kind || its fields (kControlTimer: u32 seconds, 0 = off)
  kEdit = 5,        // body: the 16-byte id of the message it replaces || the new UTF-8 text
  kRetraction = 6,  // body: the 16-byte id of the message its sender unsends
  kFile = 7,        // body: a FileAttachment (crypto/file_attachment.hpp)
};

// Control messages (ContentType::kControl), by their first body byte.
inline constexpr std::uint8_t kControlTimer = 1;  // the conversation's default vanishing timer

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
  // Seconds after the server accepted it at which the message vanishes; 0 for never.
  // Carried inside the encryption so that a server which drops the envelope's
  // expires_at cannot make a message outlive its timer on the recipient's device.
  std::uint32_t expires_in = 0;

  // fields("xchat-content-v1", u8 type, u64 timestamp, handle, u32 device, message id,
  //        recipient, body), followed by the field u32(expires_in) only when it is not 0
  // (so a content without a timer keeps the encoding clients had before timers).
  std::string encode() const;
  // Nothing when the bytes are not exactly such an encoding: an unknown type, an
  // expires_in field holding 0, or a body its type does not allow (an edit or retraction
  // without its 16-byte target, a control message that is not a timer, a file that is not
  // a FileAttachment).
  static std::optional<Content> decode(std::string_view bytes);

  // kEdit and kRetraction: the id of the message they act on.
  std::string_view target() const;
  // kEdit: the new text.
  std::string_view edit_text() const;
  // kControl with kControlTimer: the conversation timer in seconds (0 = off).
  std::uint32_t timer_seconds() const;
  // kFile: what the file message carries; nothing for a content that decode() would refuse.
  std::optional<FileAttachment> file() const;

  static std::string edit_body(std::string_view target, std::string_view text);
  static std::string timer_body(std::uint32_t seconds);
};

// Decodes a decrypted plaintext and checks it against what authenticated it: the session's
// peer must be the sender it names, and the envelope's message id the one it carries (so
// neither the server nor another device can re-label a message).
CryptoResult<Content> open_content(std::string_view plaintext, const Party& peer,
                                   std::string_view envelope_message_id);

}  // namespace xchat::client
