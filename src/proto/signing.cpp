#include "xchat/signing.hpp"

namespace xchat {

namespace {

void append_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

}  // namespace

std::string labelled_fields(std::string_view label,
                            std::initializer_list<std::string_view> fields) {
  std::string out(label);
  out.push_back('\0');
  for (std::string_view f : fields) {
    append_u32(out, static_cast<std::uint32_t>(f.size()));
    out.append(f);
  }
  return out;
}

std::string u32_field(std::uint32_t v) {
  std::string s;
  append_u32(s, v);
  return s;
}

std::string device_binding_message(std::string_view handle_key, std::uint32_t device_id,
                                   std::string_view device_key) {
  return labelled_fields(kDeviceBindingLabel, {handle_key, u32_field(device_id), device_key});
}

std::string login_message(std::string_view server_name, std::string_view handle_key,
                          std::uint32_t device_id, std::string_view nonce) {
  return labelled_fields(kLoginLabel, {server_name, handle_key, u32_field(device_id), nonce});
}

std::string signed_prekey_message(std::string_view handle_key, std::uint32_t device_id,
                                  std::string_view identity_dh_key, std::uint32_t prekey_id,
                                  std::string_view prekey) {
  return labelled_fields(kSignedPrekeyLabel,
               {handle_key, u32_field(device_id), identity_dh_key, u32_field(prekey_id), prekey});
}

}  // namespace xchat
