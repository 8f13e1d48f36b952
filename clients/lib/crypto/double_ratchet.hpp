#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "crypto/crypto_error.hpp"
#include "crypto/x25519.hpp"
#include "crypto/x3dh.hpp"

namespace xchat::client {

// The header every ratchet message starts with, in clear but authenticated: the sender's
// current ratchet public key, the length of its previous sending chain, and the message's
// number in the current one. Encoded as dh (32) || pn (u32 BE) || n (u32 BE).
struct RatchetHeader {
  static constexpr std::size_t kBytes = kX25519Bytes + 8;

  std::string dh;
  std::uint32_t previous_chain_length = 0;
  std::uint32_t message_number = 0;

  std::string encode() const;
  static std::optional<RatchetHeader> decode(std::string_view bytes);
};

// Bounds on the keys kept for messages that have not arrived yet.
struct RatchetLimits {
  // How far ahead of the last received message, in one chain, a message may be: past
  // this it is refused (kTooManySkipped) rather than deriving that many keys.
  std::uint32_t max_skip = 1000;
  // Skipped-message keys kept in all; the oldest go first (those messages then fail as
  // kDuplicate).
  std::size_t max_stored = 2000;
};

// The Double Ratchet (Signal's specification, revision 1) for one session between two
// devices, from the X3DH secret: a new Diffie-Hellman ratchet step each time the
// conversation changes direction (post-compromise security) and a new key per message
// (forward secrecy). Messages are header || XChaCha20-Poly1305 ciphertext, authenticated
// with the X3DH associated data and the header.
//
// decrypt() changes nothing unless the message authenticates. Not thread-safe: one owner.
class DoubleRatchet {
 public:
  // The initiator, who sends first, to the responder's signed prekey.
  static CryptoResult<DoubleRatchet> initiator(const X3dhSecret& secret,
                                               std::string_view their_signed_prekey,
                                               KeyPairSource keys, RatchetLimits limits = {});
  // The responder, whose first ratchet key pair is its signed prekey.
  static DoubleRatchet responder(const X3dhSecret& secret, X25519KeyPair signed_prekey,
                                 KeyPairSource keys, RatchetLimits limits = {});

  // header || ciphertext. REQUIRES: can_send() (a responder must receive first).
  std::string encrypt(std::string_view plaintext);
  CryptoResult<std::string> decrypt(std::string_view message);

  bool can_send() const { return !sending_chain_.empty(); }

  // The whole state as bytes, secrets included, for the client's encrypted store (never
  // anywhere else); and back. deserialize() returns nothing for bytes serialize() did not
  // make.
  std::string serialize() const;
  static std::optional<DoubleRatchet> deserialize(std::string_view bytes, KeyPairSource keys);
  std::size_t stored_skipped_keys() const { return skipped_.size(); }

  DoubleRatchet(const DoubleRatchet&) = default;
  DoubleRatchet(DoubleRatchet&&) noexcept = default;
  DoubleRatchet& operator=(const DoubleRatchet&) = default;
  DoubleRatchet& operator=(DoubleRatchet&&) noexcept = default;
  ~DoubleRatchet();

 private:
  DoubleRatchet(std::string associated_data, KeyPairSource keys, RatchetLimits limits)
      : associated_data_(std::move(associated_data)), keys_(std::move(keys)), limits_(limits) {}

  std::optional<CryptoError> skip_to(std::uint32_t until);
  std::optional<CryptoError> step(const RatchetHeader& header);
  void wipe();

  std::string associated_data_;
  KeyPairSource keys_;
  RatchetLimits limits_;
  X25519KeyPair sending_key_;  // DHs
  std::string receiving_key_;  // DHr; empty before the first message arrives
  std::string root_key_;
  std::string sending_chain_;        // CKs; empty until there is one
  std::string receiving_chain_;      // CKr
  std::uint32_t sent_ = 0;           // Ns
  std::uint32_t received_ = 0;       // Nr
  std::uint32_t previous_sent_ = 0;  // PN
  // Keys of messages skipped over, by (ratchet key, message number); `skipped_order_`
  // remembers insertion order for eviction.
  std::map<std::pair<std::string, std::uint32_t>, std::string> skipped_;
  std::deque<std::pair<std::string, std::uint32_t>> skipped_order_;
  // Ratchet keys the peer used before the current one: a message under one of them that
  // is not among the skipped keys was read already.
  std::deque<std::string> retired_receiving_keys_;
};

}  // namespace xchat::client
