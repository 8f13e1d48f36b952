#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace xchat::client {

// Reads a byte string front to back. A read past the end fails the reader for good: check
// ok() once, after the last read, instead of after each. It keeps a view: the bytes must
// outlive it (never construct one from a temporary string and keep it).
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : rest_(bytes) {}

  std::string take(std::size_t n) {
    if (!ok_ || rest_.size() < n) {
      ok_ = false;
      return {};
    }
    std::string out(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return out;
  }
  std::uint64_t big_endian(std::size_t bytes) {
    const std::string b = take(bytes);
    std::uint64_t v = 0;
    for (const char c : b) v = (v << 8) | static_cast<unsigned char>(c);
    return v;
  }
  std::uint32_t u32() { return static_cast<std::uint32_t>(big_endian(4)); }
  // A u32 length, then that many bytes, at most `max`.
  std::string sized(std::size_t max) {
    const std::uint32_t n = u32();
    if (n > max) ok_ = false;
    return take(n);
  }

  // What xchat::labelled_fields() writes: the label, a 0x00, then length-prefixed fields.
  // expect_label() reads the first part; the field readers below the fields.
  bool expect_label(std::string_view label) {
    if (take(label.size()) != label || take(1) != std::string_view("\0", 1)) ok_ = false;
    return ok_;
  }
  // A field of exactly `n` bytes.
  std::string field(std::size_t n) {
    std::string out = sized(n);
    if (out.size() != n) ok_ = false;
    return out;
  }
  // A field holding a big-endian integer of `bytes` bytes (u32_field's encoding for 4).
  std::uint64_t field_integer(std::size_t bytes) {
    const std::string b = field(bytes);
    std::uint64_t v = 0;
    for (const char c : b) v = (v << 8) | static_cast<unsigned char>(c);
    return v;
  }
  std::uint32_t field_u32() { return static_cast<std::uint32_t>(field_integer(4)); }
  std::string_view rest() const { return rest_; }
  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && rest_.empty(); }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace xchat::client
