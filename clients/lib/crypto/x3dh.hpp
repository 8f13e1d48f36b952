#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/crypto_error.hpp"
#include "crypto/x25519.hpp"

namespace xchat::client {

// X3DH key agreement (Signal's specification, revision 1) between two devices, with
// xchat's keys: each account has an Ed25519 identity key, and each device an X25519
// identity key that the account key vouches for by signing it together with the device's
// signed prekey (xchat::signed_prekey_message). docs/crypto.md specifies every byte.

// One side of a session.
struct Party {
  std::string handle_key;  // canonical handle, "@alice"
  std::uint32_t device_id = 0;
  std::string identity_sign_key;  // the account's Ed25519 public key, 32 bytes
  std::string identity_dh_key;    // the device's X25519 identity public key, 32 bytes
};

// The account's signature over a device's X25519 identity key and its signed prekey: what
// proves that a key-agreement key belongs to `party`. Published in the key directory, and
// carried in the first message of a session so the responder can check the initiator.
struct DeviceCertificate {
  Party party;
  std::uint32_t signed_prekey_id = 0;
  std::string signed_prekey;  // X25519, 32 bytes
  std::string signature;      // Ed25519 by party.identity_sign_key, 64 bytes

  // Sizes right and the signature valid over xchat::signed_prekey_message.
  bool verify() const;
};

// One device's bundle from keys.fetch.
struct PrekeyBundle {
  DeviceCertificate device;
  std::optional<std::uint32_t> one_time_prekey_id;
  std::string one_time_prekey;  // X25519, 32 bytes; empty when the server had none left
};

// What both sides derive: SK, and the associated data that binds every message of the
// session to the two parties.
struct X3dhSecret {
  std::string shared_secret;  // 32 bytes
  std::string associated_data;

  ~X3dhSecret();
};

// AD = "xchat-x3dh-v1" || 0x00 || length-prefixed fields of the initiator, then of the
// responder: handle, device id, Ed25519 identity key, X25519 identity key.
std::string x3dh_associated_data(const Party& initiator, const Party& responder);

// The initiator's side, after verifying the bundle's certificate. `ephemeral` is EK_A.
CryptoResult<X3dhSecret> x3dh_initiate(const Party& me, std::string_view my_identity_dh_secret,
                                       const PrekeyBundle& bundle, const X25519KeyPair& ephemeral);

// The responder's side, after verifying the initiator's certificate. The secrets are those
// of the signed prekey and, when the initiator used one, the one-time prekey it named.
CryptoResult<X3dhSecret> x3dh_respond(const Party& me, std::string_view my_identity_dh_secret,
                                      std::string_view signed_prekey_secret,
                                      std::optional<std::string_view> one_time_prekey_secret,
                                      const DeviceCertificate& initiator,
                                      std::string_view ephemeral_public);

}  // namespace xchat::client
