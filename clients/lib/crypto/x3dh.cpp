#include "crypto/x3dh.hpp"

#include <sodium.h>

#include "crypto/ed25519.hpp"  // the core's (src/crypto), as the server verifies
#include "crypto/hkdf.hpp"
#include "xchat/signing.hpp"

namespace xchat::client {

namespace {

constexpr std::string_view kAssociatedDataLabel = "xchat-x3dh-v1";
constexpr std::string_view kKdfInfo = "xchat-x3dh-v1";
constexpr std::size_t kSecretBytes = 32;

bool party_well_formed(const Party& p) {
  return !p.handle_key.empty() && p.identity_sign_key.size() == crypto_sign_PUBLICKEYBYTES &&
         p.identity_dh_key.size() == kX25519Bytes;
}

// SK = HKDF-SHA-256(salt = 32 zero bytes, IKM = 32 x 0xFF || DH1 || DH2 || DH3 [|| DH4],
// info = "xchat-x3dh-v1"): the specification's F prefix keeps the input from ever being a
// valid X25519 scalar-multiplication result for another protocol.
CryptoResult<X3dhSecret> derive(std::initializer_list<std::optional<std::string>> dhs,
                                std::string associated_data) {
  std::string ikm(kSecretBytes, '\xff');
  for (const auto& dh : dhs) {
    if (!dh) {
      sodium_memzero(ikm.data(), ikm.size());
      return CryptoError::kBadKey;
    }
    ikm += *dh;
  }
  X3dhSecret secret;
  secret.shared_secret = hkdf_sha256({}, ikm, kKdfInfo, kSecretBytes);
  secret.associated_data = std::move(associated_data);
  sodium_memzero(ikm.data(), ikm.size());
  return secret;
}

}  // namespace

bool DeviceCertificate::verify() const {
  if (!party_well_formed(party) || signed_prekey.size() != kX25519Bytes) return false;
  return crypto::ed25519_verify(
      signature,
      signed_prekey_message(party.handle_key, party.device_id, party.identity_dh_key,
                            signed_prekey_id, signed_prekey),
      party.identity_sign_key);
}

X3dhSecret::~X3dhSecret() {
  if (!shared_secret.empty()) sodium_memzero(shared_secret.data(), shared_secret.size());
}

std::string x3dh_associated_data(const Party& initiator, const Party& responder) {
  const std::string initiator_device = u32_field(initiator.device_id);
  const std::string responder_device = u32_field(responder.device_id);
  return labelled_fields(kAssociatedDataLabel,
                         {initiator.handle_key, initiator_device, initiator.identity_sign_key,
                          initiator.identity_dh_key, responder.handle_key, responder_device,
                          responder.identity_sign_key, responder.identity_dh_key});
}

CryptoResult<X3dhSecret> x3dh_initiate(const Party& me, std::string_view my_identity_dh_secret,
                                       const PrekeyBundle& bundle, const X25519KeyPair& ephemeral) {
  if (!party_well_formed(me)) return CryptoError::kMalformed;
  if (!bundle.device.verify()) return CryptoError::kBadSignature;
  const std::string& spk = bundle.device.signed_prekey;
  const std::string& their_ik = bundle.device.party.identity_dh_key;
  std::string ad = x3dh_associated_data(me, bundle.device.party);
  if (bundle.one_time_prekey.empty()) {
    return derive({x25519(my_identity_dh_secret, spk), x25519(ephemeral.secret_key, their_ik),
                   x25519(ephemeral.secret_key, spk)},
                  std::move(ad));
  }
  if (bundle.one_time_prekey.size() != kX25519Bytes) return CryptoError::kMalformed;
  return derive(
      {x25519(my_identity_dh_secret, spk), x25519(ephemeral.secret_key, their_ik),
       x25519(ephemeral.secret_key, spk), x25519(ephemeral.secret_key, bundle.one_time_prekey)},
      std::move(ad));
}

CryptoResult<X3dhSecret> x3dh_respond(const Party& me, std::string_view my_identity_dh_secret,
                                      std::string_view signed_prekey_secret,
                                      std::optional<std::string_view> one_time_prekey_secret,
                                      const DeviceCertificate& initiator,
                                      std::string_view ephemeral_public) {
  if (!party_well_formed(me)) return CryptoError::kMalformed;
  if (!initiator.verify()) return CryptoError::kBadSignature;
  if (ephemeral_public.size() != kX25519Bytes) return CryptoError::kMalformed;
  const std::string& their_ik = initiator.party.identity_dh_key;
  std::string ad = x3dh_associated_data(initiator.party, me);
  if (!one_time_prekey_secret) {
    return derive(
        {x25519(signed_prekey_secret, their_ik), x25519(my_identity_dh_secret, ephemeral_public),
         x25519(signed_prekey_secret, ephemeral_public)},
        std::move(ad));
  }
  return derive(
      {x25519(signed_prekey_secret, their_ik), x25519(my_identity_dh_secret, ephemeral_public),
       x25519(signed_prekey_secret, ephemeral_public),
       x25519(*one_time_prekey_secret, ephemeral_public)},
      std::move(ad));
}

}  // namespace xchat::client
