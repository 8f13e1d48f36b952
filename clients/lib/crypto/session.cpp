#include "crypto/session.hpp"

#include <sodium.h>

#include "crypto/byte_reader.hpp"
#include "xchat/handle.hpp"
#include "xchat/signing.hpp"

namespace xchat::client {

namespace {

constexpr char kPrekeyKind = 0x01;
constexpr char kMessageKind = 0x02;

std::string encode_certificate(const DeviceCertificate& c) {
  return u32_field(static_cast<std::uint32_t>(c.party.handle_key.size())) + c.party.handle_key +
         u32_field(c.party.device_id) + c.party.identity_sign_key + c.party.identity_dh_key +
         u32_field(c.signed_prekey_id) + c.signed_prekey + c.signature;
}

struct PrekeyMessage {
  DeviceCertificate sender;
  std::string ephemeral;
  std::uint32_t signed_prekey_id = 0;
  std::uint32_t one_time_prekey_id = 0;  // 0: none
  std::string ratchet_message;
};

std::optional<PrekeyMessage> decode_prekey_message(std::string_view sealed) {
  if (sealed.empty() || sealed[0] != kPrekeyKind) return std::nullopt;
  ByteReader r(sealed.substr(1));
  PrekeyMessage m;
  m.sender.party.handle_key = r.sized(kMaxHandleFieldBytes);
  m.sender.party.device_id = r.u32();
  m.sender.party.identity_sign_key = r.take(crypto_sign_PUBLICKEYBYTES);
  m.sender.party.identity_dh_key = r.take(kX25519Bytes);
  m.sender.signed_prekey_id = r.u32();
  m.sender.signed_prekey = r.take(kX25519Bytes);
  m.sender.signature = r.take(crypto_sign_BYTES);
  m.ephemeral = r.take(kX25519Bytes);
  m.signed_prekey_id = r.u32();
  m.one_time_prekey_id = r.u32();
  if (!r.ok()) return std::nullopt;
  m.ratchet_message.assign(r.rest());
  return m;
}

bool same_party(const Party& a, const Party& b) {
  return a.handle_key == b.handle_key && a.device_id == b.device_id &&
         a.identity_sign_key == b.identity_sign_key && a.identity_dh_key == b.identity_dh_key;
}

}  // namespace

CryptoResult<Session> Session::initiate(const LocalDevice& me, const PrekeyBundle& bundle,
                                        KeyPairSource keys, RatchetLimits limits) {
  const X25519KeyPair ephemeral = keys();
  auto secret = x3dh_initiate(me.party, me.identity_dh_secret, bundle, ephemeral);
  if (auto* error = std::get_if<CryptoError>(&secret)) return *error;
  auto ratchet = DoubleRatchet::initiator(std::get<X3dhSecret>(secret), bundle.device.signed_prekey,
                                          std::move(keys), limits);
  if (auto* error = std::get_if<CryptoError>(&ratchet)) return *error;
  Session session(bundle.device.party, std::move(std::get<DoubleRatchet>(ratchet)));
  std::string& prefix = session.pending_prekey_prefix_;
  prefix.assign(1, kPrekeyKind);
  prefix.append(encode_certificate(me.certificate))
      .append(ephemeral.public_key)
      .append(u32_field(bundle.device.signed_prekey_id))
      .append(u32_field(bundle.one_time_prekey_id.value_or(0)));
  return session;
}

bool Session::is_prekey_message(std::string_view sealed) {
  return !sealed.empty() && sealed[0] == kPrekeyKind;
}

CryptoResult<Session::Accepted> Session::accept(const LocalDevice& me, std::string_view sealed,
                                                KeyPairSource keys, RatchetLimits limits) {
  auto message = decode_prekey_message(sealed);
  if (!message) return CryptoError::kMalformed;
  if (!message->sender.verify()) return CryptoError::kBadSignature;
  const X25519KeyPair* signed_prekey = me.signed_prekey(message->signed_prekey_id);
  if (signed_prekey == nullptr) return CryptoError::kUndecryptable;
  const X25519KeyPair* one_time_prekey = nullptr;
  if (message->one_time_prekey_id != 0) {
    one_time_prekey = me.one_time_prekey(message->one_time_prekey_id);
    // Used up: the first message of a session that exists already, played again.
    if (one_time_prekey == nullptr) return CryptoError::kDuplicate;
  }
  auto secret = x3dh_respond(me.party, me.identity_dh_secret, signed_prekey->secret_key,
                             one_time_prekey != nullptr
                                 ? std::optional<std::string_view>(one_time_prekey->secret_key)
                                 : std::nullopt,
                             message->sender, message->ephemeral);
  if (auto* error = std::get_if<CryptoError>(&secret)) return *error;
  DoubleRatchet ratchet = DoubleRatchet::responder(std::get<X3dhSecret>(secret), *signed_prekey,
                                                   std::move(keys), limits);
  auto plaintext = ratchet.decrypt(message->ratchet_message);
  if (auto* error = std::get_if<CryptoError>(&plaintext)) return *error;
  Session session(message->sender.party, std::move(ratchet));
  session.initiator_ephemeral_ = message->ephemeral;
  std::optional<std::uint32_t> used;
  if (message->one_time_prekey_id != 0) used = message->one_time_prekey_id;
  return Accepted{std::move(session), std::move(std::get<std::string>(plaintext)), used};
}

namespace {
constexpr std::string_view kStateLabel = "xchat-session-v1";
constexpr std::size_t kMaxStateField = 1 << 22;
}  // namespace

std::string Session::serialize() const {
  return labelled_fields(
      kStateLabel,
      {peer_.handle_key, u32_field(peer_.device_id), peer_.identity_sign_key, peer_.identity_dh_key,
       pending_prekey_prefix_, initiator_ephemeral_, ratchet_.serialize()});
}

std::optional<Session> Session::deserialize(std::string_view bytes, KeyPairSource keys) {
  ByteReader r(bytes);
  if (!r.expect_label(kStateLabel)) return std::nullopt;
  Party peer;
  peer.handle_key = r.sized(kMaxHandleFieldBytes);
  peer.device_id = r.field_u32();
  peer.identity_sign_key = r.sized(crypto_sign_PUBLICKEYBYTES);
  peer.identity_dh_key = r.sized(kX25519Bytes);
  std::string pending = r.sized(kMaxStateField);
  std::string ephemeral = r.sized(kX25519Bytes);
  auto ratchet = DoubleRatchet::deserialize(r.sized(kMaxStateField), std::move(keys));
  if (!r.at_end() || !ratchet) return std::nullopt;
  Session session(std::move(peer), std::move(*ratchet));
  session.pending_prekey_prefix_ = std::move(pending);
  session.initiator_ephemeral_ = std::move(ephemeral);
  return session;
}

std::string Session::encrypt(std::string_view plaintext) {
  const std::string body = ratchet_.encrypt(plaintext);
  std::string sealed =
      pending_prekey_prefix_.empty() ? std::string(1, kMessageKind) : pending_prekey_prefix_;
  return sealed.append(body);
}

CryptoResult<std::string> Session::decrypt(std::string_view sealed) {
  if (sealed.empty()) return CryptoError::kMalformed;
  if (sealed[0] == kMessageKind) {
    auto plaintext = ratchet_.decrypt(sealed.substr(1));
    // The peer answered: it has the session, and first messages need not be repeated.
    if (std::holds_alternative<std::string>(plaintext)) pending_prekey_prefix_.clear();
    return plaintext;
  }
  auto message = decode_prekey_message(sealed);
  if (!message) return CryptoError::kMalformed;
  // A repeat of the prekey message this session came from carries the next messages of
  // the same ratchet; any other prekey message starts another session (Session::accept).
  if (initiator_ephemeral_.empty() || message->ephemeral != initiator_ephemeral_ ||
      !same_party(message->sender.party, peer_)) {
    return CryptoError::kUndecryptable;
  }
  return ratchet_.decrypt(message->ratchet_message);
}

}  // namespace xchat::client
