#include "crypto/file_attachment.hpp"

#include <algorithm>

#include "crypto/attachment_format.hpp"
#include "crypto/big_endian.hpp"
#include "crypto/byte_reader.hpp"
#include "xchat/hex.hpp"
#include "xchat/signing.hpp"

namespace xchat::client {

namespace {

constexpr std::string_view kLabel = "xchat-file-v1";
constexpr std::size_t kIdChars = 32;
constexpr std::size_t kMaxNameBytes = 255;  // NAME_MAX
constexpr std::size_t kMaxMediaTypeBytes = 127;

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::string FileAttachment::encode() const {
  return labelled_fields(kLabel, {id, key, digest, big_endian(ciphertext_size, 8),
                                  big_endian(plaintext_size, 8), name, media_type});
}

std::optional<FileAttachment> FileAttachment::decode(std::string_view bytes) {
  ByteReader r(bytes);
  r.expect_label(kLabel);
  FileAttachment f;
  f.id = r.field(kIdChars);
  f.key = r.field(kAttachmentKeyBytes);
  f.digest = r.field(kAttachmentDigestBytes);
  f.ciphertext_size = r.field_integer(8);
  f.plaintext_size = r.field_integer(8);
  f.name = r.sized(kMaxNameBytes);
  f.media_type = r.sized(kMaxMediaTypeBytes);
  if (!r.at_end() || !valid_id(f.id) || !valid_name(f.name) || f.media_type.empty() ||
      !printable_ascii(f.media_type) || f.plaintext_size > kMaxAttachmentPlaintextBytes ||
      f.ciphertext_size != attachment_ciphertext_size(f.plaintext_size)) {
    return std::nullopt;
  }
  return f;
}

bool FileAttachment::valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

bool FileAttachment::valid_id(std::string_view id) {
  return id.size() == kIdChars && hex_decode(id).has_value();
}

}  // namespace xchat::client
