#pragma once

#include <string_view>
#include <variant>

namespace xchat::client {

// Why a key agreement or a message was refused. Each is shown to the user as a warning,
// never as a message.
enum class CryptoError {
  kMalformed,       // wrong sizes, truncated or unknown encoding
  kBadSignature,    // a signed prekey not signed by the account's identity key
  kBadKey,          // a public key whose Diffie-Hellman result is all zeros (low order)
  kUndecryptable,   // authentication failed: tampered, mis-addressed or not for this session
  kDuplicate,       // that message was decrypted already (a replay), or its key is gone
  kTooManySkipped,  // the message is further ahead in its chain than the skip bound allows
  kMisattributed,   // the content names another sender or message id than its envelope
  kTruncated,       // an attachment's stream ends before its final chunk
  kDigestMismatch,  // an attachment's ciphertext is not the one its message describes
};

std::string_view to_string(CryptoError error);

// A value, or why there is none.
template <class T>
using CryptoResult = std::variant<T, CryptoError>;

}  // namespace xchat::client
