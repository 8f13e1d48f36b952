#include "crypto/double_ratchet.hpp"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

#include "crypto/byte_reader.hpp"
#include "crypto/hkdf.hpp"
#include "xchat/signing.hpp"

namespace xchat::client {

namespace {

constexpr std::string_view kRootInfo = "xchat-ratchet-v1";
constexpr std::string_view kMessageInfo = "xchat-message-v1";
constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kRetiredKeysKept = 16;
constexpr std::size_t kAeadKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr std::size_t kAeadNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

void wipe_string(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

// KDF_RK: HKDF-SHA-256 with the root key as salt; 64 bytes: the new root key, then the new
// chain key.
std::pair<std::string, std::string> kdf_root(std::string_view root_key, std::string_view dh_out) {
  std::string out = hkdf_sha256(root_key, dh_out, kRootInfo, 2 * kKeyBytes);
  std::pair<std::string, std::string> keys{out.substr(0, kKeyBytes), out.substr(kKeyBytes)};
  wipe_string(out);
  return keys;
}

// KDF_CK: message key = HMAC(chain key, 0x01), next chain key = HMAC(chain key, 0x02).
std::string next_message_key(std::string& chain_key) {
  std::string message_key = hmac_sha256(chain_key, std::string_view("\x01", 1));
  std::string next = hmac_sha256(chain_key, std::string_view("\x02", 1));
  wipe_string(chain_key);
  chain_key = std::move(next);
  return message_key;
}

// The AEAD key and nonce from a message key: HKDF-SHA-256(zero salt, mk, "xchat-message-v1",
// 56). A message key is used once, so the nonce may be derived rather than random.
std::string aead_material(std::string_view message_key) {
  return hkdf_sha256({}, message_key, kMessageInfo, kAeadKeyBytes + kAeadNonceBytes);
}

std::string seal(std::string_view message_key, std::string_view plaintext, std::string_view ad) {
  std::string material = aead_material(message_key);
  std::string out(plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.data()), &written,
      reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
      reinterpret_cast<const unsigned char*>(material.data() + kAeadKeyBytes),
      reinterpret_cast<const unsigned char*>(material.data()));
  wipe_string(material);
  out.resize(written);
  return out;
}

std::optional<std::string> open(std::string_view message_key, std::string_view ciphertext,
                                std::string_view ad) {
  if (ciphertext.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES) return std::nullopt;
  std::string material = aead_material(message_key);
  std::string out(ciphertext.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long written = 0;
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(out.data()), &written, nullptr,
      reinterpret_cast<const unsigned char*>(ciphertext.data()), ciphertext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
      reinterpret_cast<const unsigned char*>(material.data() + kAeadKeyBytes),
      reinterpret_cast<const unsigned char*>(material.data()));
  wipe_string(material);
  if (rc != 0) return std::nullopt;
  out.resize(written);
  return out;
}

}  // namespace

std::string RatchetHeader::encode() const {
  return dh + u32_field(previous_chain_length) + u32_field(message_number);
}

std::optional<RatchetHeader> RatchetHeader::decode(std::string_view bytes) {
  if (bytes.size() != kBytes) return std::nullopt;
  ByteReader r(bytes);
  RatchetHeader h;
  h.dh = r.take(kX25519Bytes);
  h.previous_chain_length = r.u32();
  h.message_number = r.u32();
  return h;
}

CryptoResult<DoubleRatchet> DoubleRatchet::initiator(const X3dhSecret& secret,
                                                     std::string_view their_signed_prekey,
                                                     KeyPairSource keys, RatchetLimits limits) {
  DoubleRatchet r(secret.associated_data, std::move(keys), limits);
  r.sending_key_ = r.keys_();
  r.receiving_key_.assign(their_signed_prekey);
  auto dh = x25519(r.sending_key_.secret_key, r.receiving_key_);
  if (!dh) return CryptoError::kBadKey;
  std::tie(r.root_key_, r.sending_chain_) = kdf_root(secret.shared_secret, *dh);
  wipe_string(*dh);
  return r;
}

DoubleRatchet DoubleRatchet::responder(const X3dhSecret& secret, X25519KeyPair signed_prekey,
                                       KeyPairSource keys, RatchetLimits limits) {
  DoubleRatchet r(secret.associated_data, std::move(keys), limits);
  r.sending_key_ = std::move(signed_prekey);
  r.root_key_ = secret.shared_secret;
  return r;
}

DoubleRatchet::~DoubleRatchet() { wipe(); }

void DoubleRatchet::wipe() {
  wipe_string(root_key_);
  wipe_string(sending_chain_);
  wipe_string(receiving_chain_);
  for (auto& [id, key] : skipped_) wipe_string(key);
}

namespace {

constexpr std::string_view kStateLabel = "xchat-ratchet-state-v1";
constexpr std::size_t kMaxStateField = 1 << 20;

// u32(len) || bytes, for each entry: a list inside one field.
std::string length_prefixed(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const auto part : parts) {
    out += u32_field(static_cast<std::uint32_t>(part.size()));
    out.append(part);
  }
  return out;
}

}  // namespace

std::string DoubleRatchet::serialize() const {
  std::string skipped;
  for (const auto& id : skipped_order_) {
    const auto it = skipped_.find(id);
    if (it == skipped_.end()) continue;  // used since: only the order entry remains
    skipped += length_prefixed({id.first, u32_field(id.second), it->second});
  }
  std::string retired;
  for (const auto& key : retired_receiving_keys_) retired += length_prefixed({key});
  return labelled_fields(
      kStateLabel,
      {associated_data_, u32_field(limits_.max_skip),
       u32_field(static_cast<std::uint32_t>(limits_.max_stored)), sending_key_.public_key,
       sending_key_.secret_key, receiving_key_, root_key_, sending_chain_, receiving_chain_,
       u32_field(sent_), u32_field(received_), u32_field(previous_sent_), skipped, retired});
}

std::optional<DoubleRatchet> DoubleRatchet::deserialize(std::string_view bytes,
                                                        KeyPairSource keys) {
  ByteReader r(bytes);
  if (!r.expect_label(kStateLabel)) return std::nullopt;
  std::string associated_data = r.sized(kMaxStateField);
  RatchetLimits limits;
  limits.max_skip = r.field_u32();
  limits.max_stored = r.field_u32();
  DoubleRatchet d(std::move(associated_data), std::move(keys), limits);
  const std::string sending_public = r.sized(kX25519Bytes);
  std::string sending_secret = r.sized(kX25519Bytes);
  if (sending_secret.size() != kX25519Bytes) return std::nullopt;
  d.sending_key_ = X25519KeyPair::from_secret(sending_secret);
  wipe_string(sending_secret);
  d.receiving_key_ = r.sized(kX25519Bytes);
  d.root_key_ = r.sized(kKeyBytes);
  d.sending_chain_ = r.sized(kKeyBytes);
  d.receiving_chain_ = r.sized(kKeyBytes);
  d.sent_ = r.field_u32();
  d.received_ = r.field_u32();
  d.previous_sent_ = r.field_u32();
  const std::string skipped_bytes = r.sized(kMaxStateField);
  const std::string retired_bytes = r.sized(kMaxStateField);
  ByteReader skipped(skipped_bytes);
  ByteReader retired(retired_bytes);
  if (!r.at_end() || d.sending_key_.public_key != sending_public ||
      d.root_key_.size() != kKeyBytes) {
    return std::nullopt;
  }
  while (skipped.ok() && !skipped.rest().empty()) {
    std::pair<std::string, std::uint32_t> id{skipped.sized(kX25519Bytes), skipped.field_u32()};
    std::string key = skipped.sized(kKeyBytes);
    if (!skipped.ok()) return std::nullopt;
    d.skipped_[id] = std::move(key);
    d.skipped_order_.push_back(std::move(id));
  }
  while (retired.ok() && !retired.rest().empty()) {
    d.retired_receiving_keys_.push_back(retired.sized(kX25519Bytes));
  }
  if (!skipped.ok() || !retired.ok()) return std::nullopt;
  return d;
}

std::string DoubleRatchet::encrypt(std::string_view plaintext) {
  if (!can_send()) throw std::logic_error("DoubleRatchet::encrypt before any sending chain");
  RatchetHeader header{sending_key_.public_key, previous_sent_, sent_};
  std::string message_key = next_message_key(sending_chain_);
  ++sent_;
  std::string header_bytes = header.encode();
  std::string message =
      header_bytes + seal(message_key, plaintext, associated_data_ + header_bytes);
  wipe_string(message_key);
  return message;
}

std::optional<CryptoError> DoubleRatchet::skip_to(std::uint32_t until) {
  if (receiving_chain_.empty()) return std::nullopt;
  if (until > received_ && until - received_ > limits_.max_skip) {
    return CryptoError::kTooManySkipped;
  }
  while (received_ < until) {
    std::pair<std::string, std::uint32_t> id{receiving_key_, received_};
    skipped_[id] = next_message_key(receiving_chain_);
    skipped_order_.push_back(std::move(id));
    ++received_;
    while (skipped_.size() > limits_.max_stored) {
      auto oldest = skipped_.find(skipped_order_.front());
      if (oldest != skipped_.end()) {
        wipe_string(oldest->second);
        skipped_.erase(oldest);
      }
      skipped_order_.pop_front();
    }
  }
  return std::nullopt;
}

std::optional<CryptoError> DoubleRatchet::step(const RatchetHeader& header) {
  if (!receiving_key_.empty()) {
    retired_receiving_keys_.push_back(receiving_key_);
    if (retired_receiving_keys_.size() > kRetiredKeysKept) retired_receiving_keys_.pop_front();
  }
  previous_sent_ = sent_;
  sent_ = 0;
  received_ = 0;
  receiving_key_ = header.dh;
  auto dh = x25519(sending_key_.secret_key, receiving_key_);
  if (!dh) return CryptoError::kBadKey;
  wipe_string(receiving_chain_);
  std::tie(root_key_, receiving_chain_) = kdf_root(root_key_, *dh);
  wipe_string(*dh);
  sending_key_ = keys_();
  dh = x25519(sending_key_.secret_key, receiving_key_);
  if (!dh) return CryptoError::kBadKey;
  wipe_string(sending_chain_);
  std::tie(root_key_, sending_chain_) = kdf_root(root_key_, *dh);
  wipe_string(*dh);
  return std::nullopt;
}

CryptoResult<std::string> DoubleRatchet::decrypt(std::string_view message) {
  if (message.size() < RatchetHeader::kBytes + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return CryptoError::kMalformed;
  }
  const std::string_view header_bytes = message.substr(0, RatchetHeader::kBytes);
  const std::string_view ciphertext = message.substr(RatchetHeader::kBytes);
  const auto header = RatchetHeader::decode(header_bytes);
  if (!header) return CryptoError::kMalformed;
  const std::string ad = associated_data_ + std::string(header_bytes);

  if (auto it = skipped_.find({header->dh, header->message_number}); it != skipped_.end()) {
    auto plaintext = open(it->second, ciphertext, ad);
    if (!plaintext) return CryptoError::kUndecryptable;
    wipe_string(it->second);
    skipped_.erase(it);
    return std::move(*plaintext);
  }
  const bool known_key = header->dh == receiving_key_;
  if ((known_key && header->message_number < received_) ||
      std::find(retired_receiving_keys_.begin(), retired_receiving_keys_.end(), header->dh) !=
          retired_receiving_keys_.end()) {
    return CryptoError::kDuplicate;
  }
  // Work on a copy: a message that does not authenticate must leave no trace.
  DoubleRatchet next = *this;
  if (!known_key) {
    if (auto error = next.skip_to(header->previous_chain_length)) return *error;
    if (auto error = next.step(*header)) return *error;
  }
  if (auto error = next.skip_to(header->message_number)) return *error;
  std::string message_key = next_message_key(next.receiving_chain_);
  ++next.received_;
  auto plaintext = open(message_key, ciphertext, ad);
  wipe_string(message_key);
  if (!plaintext) return CryptoError::kUndecryptable;
  wipe();  // the superseded keys go now, not whenever the allocator reuses their memory
  *this = std::move(next);
  return std::move(*plaintext);
}

}  // namespace xchat::client
