#include "xchat/handle.hpp"

#include <algorithm>

namespace xchat {

namespace {

bool is_handle_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::optional<Handle> parse_handle(std::string_view text) {
  if (text.size() < 2 || text.size() > kMaxHandleChars + 1 || text.front() != '@') {
    return std::nullopt;
  }
  std::string_view name = text.substr(1);
  if (!std::all_of(name.begin(), name.end(), is_handle_char)) return std::nullopt;
  Handle h{std::string(text), std::string(text)};
  std::transform(h.key.begin(), h.key.end(), h.key.begin(), ascii_lower);
  return h;
}

}  // namespace xchat
