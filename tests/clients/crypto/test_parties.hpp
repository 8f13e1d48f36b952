#pragma once

#include <sodium.h>

#include <memory>
#include <string>
#include <string_view>

#include "crypto/x25519.hpp"
#include "crypto/x3dh.hpp"
#include "xchat/signing.hpp"

namespace xchat::client::testing {

// Deterministic keys for the crypto tests: every secret is BLAKE2b-256 of a label, so the
// test vectors below are reproducible by any implementation that follows docs/crypto.md.
inline std::string seed(std::string_view label) {
  std::string out(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(label.data()), label.size(), nullptr,
                     0);
  return out;
}

inline std::string to_hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

// Key pairs "<label>-0", "<label>-1", ... in turn.
inline KeyPairSource seeded_keys(std::string label) {
  auto next = std::make_shared<int>(0);
  return [label = std::move(label), next] {
    return X25519KeyPair::from_secret(seed(label + "-" + std::to_string((*next)++)));
  };
}

// One device with all its keys, derived from `name`.
struct TestDevice {
  std::string sign_public, sign_secret;  // the account's Ed25519 identity
  X25519KeyPair identity;                // the device's X25519 identity
  X25519KeyPair signed_prekey;
  X25519KeyPair one_time_prekey;
  Party party;
  DeviceCertificate certificate;

  TestDevice(const std::string& name, std::uint32_t device_id, std::uint32_t signed_prekey_id)
      : sign_public(crypto_sign_PUBLICKEYBYTES, '\0'),
        sign_secret(crypto_sign_SECRETKEYBYTES, '\0') {
    const std::string account_seed = seed(name + "-account");
    crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(sign_public.data()),
                             reinterpret_cast<unsigned char*>(sign_secret.data()),
                             reinterpret_cast<const unsigned char*>(account_seed.data()));
    identity = X25519KeyPair::from_secret(seed(name + "-identity"));
    signed_prekey = X25519KeyPair::from_secret(seed(name + "-signed-prekey"));
    one_time_prekey = X25519KeyPair::from_secret(seed(name + "-one-time-prekey"));
    party = Party{"@" + name, device_id, sign_public, identity.public_key};
    certificate = DeviceCertificate{
        party, signed_prekey_id, signed_prekey.public_key,
        sign(signed_prekey_message(party.handle_key, device_id, identity.public_key,
                                   signed_prekey_id, signed_prekey.public_key))};
  }

  std::string sign(std::string_view message) const {
    std::string signature(crypto_sign_BYTES, '\0');
    crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                         reinterpret_cast<const unsigned char*>(sign_secret.data()));
    return signature;
  }

  PrekeyBundle bundle(bool with_one_time_prekey) const {
    PrekeyBundle b{certificate, std::nullopt, {}};
    if (with_one_time_prekey) {
      b.one_time_prekey_id = 42;
      b.one_time_prekey = one_time_prekey.public_key;
    }
    return b;
  }
};

}  // namespace xchat::client::testing
