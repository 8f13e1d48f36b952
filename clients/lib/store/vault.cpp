#include "store/vault.hpp"

#include <sodium.h>

namespace xchat::client {

namespace {
constexpr std::size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(Vault::kSaltBytes == crypto_pwhash_SALTBYTES);

void wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}
}  // namespace

std::optional<Vault> Vault::unlock(std::string_view passphrase, std::string_view salt) {
  if (salt.size() != kSaltBytes) return std::nullopt;
  Vault vault;
  vault.key_.assign(kKeyBytes, '\0');
  if (crypto_pwhash(reinterpret_cast<unsigned char*>(vault.key_.data()), kKeyBytes,
                    passphrase.data(), passphrase.size(),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return std::nullopt;
  }
  return vault;
}

std::string Vault::new_salt() {
  std::string salt(kSaltBytes, '\0');
  randombytes_buf(salt.data(), salt.size());
  return salt;
}

std::string Vault::seal(std::string_view plaintext, std::string_view label) const {
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonceBytes, &written, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char*>(label.data()), label.size(), nullptr,
      nonce, reinterpret_cast<const unsigned char*>(key_.data()));
  return out;
}

std::optional<std::string> Vault::open(std::string_view sealed, std::string_view label) const {
  if (sealed.size() < kNonceBytes + kTagBytes) return std::nullopt;
  std::string out(sealed.size() - kNonceBytes - kTagBytes, '\0');
  unsigned long long written = 0;
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &written, nullptr, nonce + kNonceBytes,
          sealed.size() - kNonceBytes, reinterpret_cast<const unsigned char*>(label.data()),
          label.size(), nonce, reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    return std::nullopt;
  }
  out.resize(written);
  return out;
}

Vault::Vault(Vault&& other) noexcept : key_(std::move(other.key_)) { wipe(other.key_); }

Vault& Vault::operator=(Vault&& other) noexcept {
  if (this != &other) {
    wipe(key_);
    key_ = std::move(other.key_);
    wipe(other.key_);
  }
  return *this;
}

Vault::~Vault() { wipe(key_); }

}  // namespace xchat::client
