#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/crypto_error.hpp"
#include "crypto/double_ratchet.hpp"
#include "crypto/x25519.hpp"
#include "crypto/x3dh.hpp"

namespace xchat::client {

// This device's own keys, as a session needs them.
struct LocalDevice {
  Party party;
  std::string identity_dh_secret;
  DeviceCertificate certificate;  // sent in first messages so peers can check who we are
  // The key pair of a signed prekey or one-time prekey by id, or null when this device no
  // longer has it (a one-time prekey is deleted once a session used it).
  std::function<const X25519KeyPair*(std::uint32_t)> signed_prekey;
  std::function<const X25519KeyPair*(std::uint32_t)> one_time_prekey;
};

// An end-to-end session between this device and one device of another account (or of our
// own), and the encoding of what it sends: the bytes that go, base64-encoded, into an
// envelope's `ciphertext`. docs/crypto.md §4 ("sealed messages") specifies them:
//
//   prekey message  = 0x01 || certificate of the sender || ephemeral key (32)
//                     || u32(responder's signed prekey id) || u32(one-time prekey id, 0: none)
//                     || ratchet message
//   message         = 0x02 || ratchet message
//
// The initiator sends prekey messages until the first message from the peer shows the
// session exists on both sides; the responder creates its side from the first prekey
// message it receives. Not thread-safe: one owner.
class Session {
 public:
  // Starts a session with the device of `bundle`, after verifying its certificate.
  static CryptoResult<Session> initiate(const LocalDevice& me, const PrekeyBundle& bundle,
                                        KeyPairSource keys, RatchetLimits limits = {});

  // What accept() makes of a first message.
  struct Accepted;
  // Creates the responder's side from a prekey message and decrypts it. On success the
  // caller deletes the one-time prekey it names (Accepted::one_time_prekey_id).
  static CryptoResult<Accepted> accept(const LocalDevice& me, std::string_view sealed,
                                       KeyPairSource keys, RatchetLimits limits = {});

  // True when `sealed` is a prekey message (one that accept() takes).
  static bool is_prekey_message(std::string_view sealed);

  std::string encrypt(std::string_view plaintext);
  // A message or a repeated prekey message of this session. Changes nothing on failure.
  CryptoResult<std::string> decrypt(std::string_view sealed);

  // The device at the other end, as its certificate proved it.
  const Party& peer() const { return peer_; }

  // For the client's encrypted store: everything, secrets included; and back (nothing for
  // bytes serialize() did not make).
  std::string serialize() const;
  static std::optional<Session> deserialize(std::string_view bytes, KeyPairSource keys);

 private:
  Session(Party peer, DoubleRatchet ratchet)
      : peer_(std::move(peer)), ratchet_(std::move(ratchet)) {}

  Party peer_;
  DoubleRatchet ratchet_;
  // Initiator, until the peer has answered: what every message repeats so the responder
  // can build its side whichever message arrives first.
  std::string pending_prekey_prefix_;
  // Responder: the ephemeral key of the prekey message the session came from, so a repeat
  // of it (the initiator sends them until answered) is recognised.
  std::string initiator_ephemeral_;
};

struct Session::Accepted {
  Session session;
  std::string plaintext;
  std::optional<std::uint32_t> one_time_prekey_id;
};

}  // namespace xchat::client
