#include "crypto/transfer_token.hpp"

#include <sodium.h>

#include "crypto/random.hpp"
#include "xchat/base64.hpp"

namespace xchat::crypto {

namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kIdBytes = 16;
// version, scope, account id, device id, expiry, attachment id (zeros for uploads).
constexpr std::size_t kGrantBytes = 1 + 1 + 8 + 4 + 8 + kIdBytes;
constexpr std::size_t kTokenBytes = kGrantBytes + crypto_auth_hmacsha256_BYTES;

void put(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

std::uint64_t get(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value = (value << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
  }
  return value;
}

Status refused() {
  return Status(ErrorCode::kUnauthorized, "the token is invalid or expired; ask for a new one");
}

}  // namespace

TransferTokens::TransferTokens() : key_(random_bytes(crypto_auth_hmacsha256_KEYBYTES)) {}

TransferTokens::~TransferTokens() { sodium_memzero(key_.data(), key_.size()); }

std::string TransferTokens::issue(const TransferGrant& grant) const {
  std::string bytes;
  bytes.reserve(kTokenBytes);
  bytes += static_cast<char>(kVersion);
  bytes += static_cast<char>(grant.scope);
  put(bytes, static_cast<std::uint64_t>(grant.account_id), 8);
  put(bytes, grant.device_id, 4);
  put(bytes, static_cast<std::uint64_t>(grant.expires_at), 8);
  std::string id = grant.attachment_id;
  id.resize(kIdBytes, '\0');
  bytes += id;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                         reinterpret_cast<const unsigned char*>(key_.data()));
  bytes.append(reinterpret_cast<const char*>(mac), sizeof mac);
  return base64_encode(bytes);
}

Result<TransferGrant> TransferTokens::verify(std::string_view token, std::int64_t now) const {
  const auto bytes = base64_decode(token);
  if (!bytes || bytes->size() != kTokenBytes) return refused();
  if (crypto_auth_hmacsha256_verify(
          reinterpret_cast<const unsigned char*>(bytes->data() + kGrantBytes),
          reinterpret_cast<const unsigned char*>(bytes->data()), kGrantBytes,
          reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    return refused();
  }
  const std::string_view b = *bytes;
  if (static_cast<std::uint8_t>(b[0]) != kVersion) return refused();
  TransferGrant grant;
  grant.scope = static_cast<TransferGrant::Scope>(b[1]);
  grant.account_id = static_cast<std::int64_t>(get(b, 2, 8));
  grant.device_id = static_cast<std::uint32_t>(get(b, 10, 4));
  grant.expires_at = static_cast<std::int64_t>(get(b, 14, 8));
  if (grant.scope == TransferGrant::Scope::kDownload) {
    grant.attachment_id = std::string(b.substr(22, kIdBytes));
  }
  if (grant.expires_at <= now) return refused();
  return grant;
}

}  // namespace xchat::crypto
