#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace xchat::client {

// The key that protects the client's files at rest, and what it seals. The key comes from
// the user's passphrase through Argon2id (libsodium's crypto_pwhash, "interactive" cost:
// ~60 ms here, 64 MiB); each record is sealed with XChaCha20-Poly1305 under a fresh random
// nonce, and authenticated with a label naming where it belongs, so a record moved to
// another row or table does not open. The key is wiped with the vault.
class Vault {
 public:
  static constexpr std::size_t kSaltBytes = 16;

  // Derives the key from `passphrase` and `salt` (kSaltBytes, random, stored beside the
  // data). Nothing when the key derivation cannot get its memory.
  static std::optional<Vault> unlock(std::string_view passphrase, std::string_view salt);
  static std::string new_salt();

  // nonce (24) || ciphertext || tag (16)
  std::string seal(std::string_view plaintext, std::string_view label) const;
  // Nothing when the bytes were not sealed by this key with this label, or were changed.
  std::optional<std::string> open(std::string_view sealed, std::string_view label) const;

  Vault(Vault&& other) noexcept;
  Vault& operator=(Vault&& other) noexcept;
  Vault(const Vault&) = delete;
  Vault& operator=(const Vault&) = delete;
  ~Vault();

 private:
  Vault() = default;
  std::string key_;
};

}  // namespace xchat::client
