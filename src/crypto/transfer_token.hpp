#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "xchat/status.hpp"

namespace xchat::crypto {

// What an attachment transfer token lets its bearer do, and until when.
struct TransferGrant {
  enum class Scope : std::uint8_t { kUpload = 1, kDownload = 2 };
  Scope scope = Scope::kUpload;
  std::int64_t account_id = 0;
  std::uint32_t device_id = 0;
  std::int64_t expires_at = 0;  // unix milliseconds
  std::string attachment_id;    // raw id; kDownload only (empty for kUpload)
};

// Short-lived bearer tokens for the attachment HTTP endpoints, handed out over an
// authenticated WebSocket session. A token is the grant and an HMAC-SHA-256 over it under
// a key drawn at startup and never stored: the server keeps no token table, any thread
// can check a token, and a restart voids every token (clients ask again). Thread-safe.
class TransferTokens {
 public:
  TransferTokens();  // draws the key
  ~TransferTokens();  // wipes it
  TransferTokens(const TransferTokens&) = delete;
  TransferTokens& operator=(const TransferTokens&) = delete;

  std::string issue(const TransferGrant& grant) const;

  // kUnauthorized unless `token` is one this instance issued and it has not expired at
  // `now` (unix ms).
  Result<TransferGrant> verify(std::string_view token, std::int64_t now) const;

 private:
  std::string key_;
};

}  // namespace xchat::crypto
