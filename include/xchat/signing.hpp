#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace xchat {

// The byte strings that clients sign with Ed25519. Each starts with a context label so a
// signature made for one purpose can never be replayed for another; every variable field
// is length-prefixed so no two field lists encode to the same bytes:
//
//   message = label || 0x00 || for each field: u32 big-endian length || field bytes
//
// docs/protocol.md repeats this with a worked example.

// label || 0x00 || for each field: u32 big-endian length || field bytes. Also the shape of
// the client's key-agreement inputs (docs/crypto.md).
std::string labelled_fields(std::string_view label, std::initializer_list<std::string_view> fields);

// `v` as 4 bytes, big-endian: how integers enter a field list.
std::string u32_field(std::uint32_t v);

inline constexpr std::string_view kDeviceBindingLabel = "xchat-device-v1";
inline constexpr std::string_view kLoginLabel = "xchat-login-v1";
inline constexpr std::string_view kSignedPrekeyLabel = "xchat-signed-prekey-v1";

// Signed by the account's identity key to vouch for a device key.
// handle_key is the canonical (lower-case) handle including "@"; device_key is the
// 32-byte Ed25519 public key of the device.
std::string device_binding_message(std::string_view handle_key, std::uint32_t device_id,
                                   std::string_view device_key);

// Signed by a device key to answer a login challenge. server_name is the server's
// configured [server] name, nonce the 32 raw bytes the server issued.
std::string login_message(std::string_view server_name, std::string_view handle_key,
                          std::uint32_t device_id, std::string_view nonce);

// Signed by the account's identity key to vouch for a device's key-agreement keys: its
// X25519 identity key and its current signed prekey (both 32-byte public keys).
std::string signed_prekey_message(std::string_view handle_key, std::uint32_t device_id,
                                  std::string_view identity_dh_key, std::uint32_t prekey_id,
                                  std::string_view prekey);

}  // namespace xchat
