#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xchat::client {

// What a file message (ContentType::kFile) carries inside its encryption: where the
// encrypted file is on the server, the key that opens it, and what the receiver must find
// there. The server sees the id only (in the send's `attachments`).
struct FileAttachment {
  std::string id;                     // the server's attachment id: 32 lowercase hex digits
  std::string key;                    // 32 bytes: the secretstream key
  std::string digest;                 // 32 bytes: BLAKE2b-256 of the whole ciphertext
  std::uint64_t ciphertext_size = 0;  // as uploaded; attachment_ciphertext_size(plaintext_size)
  std::uint64_t plaintext_size = 0;   // the file's size
  std::string name;                   // a base name: no '/', not "." or "..", 1..255 bytes
  std::string media_type;             // e.g. "image/png"; printable ASCII, 1..127 bytes

  // fields("xchat-file-v1", id, key, digest, u64 ciphertext_size, u64 plaintext_size,
  //        name, media_type), u64 big-endian.
  std::string encode() const;
  // Nothing unless the bytes are exactly such an encoding with every field as above —
  // including a ciphertext size that is the one the plaintext size implies, so the two
  // cannot disagree about where the stream ends.
  static std::optional<FileAttachment> decode(std::string_view bytes);

  // Whether `name` may name a file in a directory as it is (see `name` above).
  static bool valid_name(std::string_view name);
  // Whether `id` has the form of an attachment id.
  static bool valid_id(std::string_view id);
};

}  // namespace xchat::client
