#include "crypto/crypto_error.hpp"

namespace xchat::client {

std::string_view to_string(CryptoError error) {
  switch (error) {
    case CryptoError::kMalformed:
      return "malformed";
    case CryptoError::kBadSignature:
      return "bad_signature";
    case CryptoError::kBadKey:
      return "bad_key";
    case CryptoError::kUndecryptable:
      return "undecryptable";
    case CryptoError::kDuplicate:
      return "duplicate";
    case CryptoError::kTooManySkipped:
      return "too_many_skipped";
    case CryptoError::kMisattributed:
      return "misattributed";
    case CryptoError::kTruncated:
      return "truncated";
    case CryptoError::kDigestMismatch:
      return "digest_mismatch";
  }
  return "unknown";
}

}  // namespace xchat::client
