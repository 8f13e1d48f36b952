#pragma once

#include <optional>
#include <string_view>

namespace xchat {

// The stable error codes of the wire protocol (docs/protocol.md lists their meaning).
// Clients switch on the string form, which never changes for an existing code; the
// numbers are internal (metrics arrays) and kInternal stays last.
enum class ErrorCode {
  kOk = 0,
  kBadRequest,            // malformed JSON, missing or wrong-typed field, bad encoding
  kUnknownType,           // "type" names no request
  kTooLarge,              // a field or a collection over its limit
  kUnauthenticated,       // request needs a logged-in session
  kAlreadyAuthenticated,  // login or register on a logged-in session
  kRateLimited,           // a per-IP or per-account budget is exhausted
  kInvalidHandle,         // not "@" + 1..15 of [A-Za-z0-9_]
  kHandleTaken,           // handle registered already (case-insensitively)
  kRegistrationClosed,    // access.registration = closed
  kInviteRequired,        // access.registration = invite and no code given
  kInviteInvalid,         // unknown, used or expired invite code
  kBadSignature,          // an Ed25519 signature did not verify
  kUnknownDevice,         // no such handle/device pair (login never tells which)
  kDeviceExists,          // device id already used by the account
  kTooManyDevices,        // limits.max_devices_per_account reached
  kLastDevice,            // removing the only device would orphan the account
  kNonceUnknown,          // login nonce not issued on this connection, or already used
  kNonceExpired,          // login nonce older than limits.challenge_ttl_seconds
  kAccountSuspended,      // an operator suspended the account
  kSubscriptionRequired,  // access.require_subscription and none active
  kNotFound,              // the named object does not exist
  kUnavailable,           // the server is shutting down or overloaded
  kStaleDevices,          // a send's device list differs from the account's devices
  kNotAllowed,            // the recipient accepts messages from contacts only
  kQueueFull,             // a recipient device holds limits.max_queued_envelopes_per_device
  kWindowClosed,          // too late to unsend or edit that message
  // Attachment transfers (HTTP).
  kUnauthorized,          // a transfer token is missing, invalid, expired or for something else
  kOffsetMismatch,        // an upload continues from another offset than the stored size
  kUploadBusy,            // another request is writing this upload
  kUploadIncomplete,      // finish before every declared byte arrived
  kAlreadyComplete,       // bytes for a finished upload
  kFileTooLarge,          // over attachments.max_file_bytes, or past the declared size
  kRangeNotSatisfiable,   // a download range past the end
  kTooManyUploads,        // attachments.max_uploads_in_progress unfinished uploads
  kQuotaExceeded,         // attachments.quota_bytes_per_account
  kStorageFull,           // the data directory's filesystem is (nearly) full: writes refused
  kInternal,              // a server fault; the request may be retried
};

std::string_view to_string(ErrorCode code);

// The code a reply's error.code names; nothing for a string no version of the server sends
// (a client treats those like kInternal).
std::optional<ErrorCode> error_code_from_string(std::string_view text);

// Number of codes, for per-code metric arrays.
inline constexpr int kErrorCodeCount = static_cast<int>(ErrorCode::kInternal) + 1;

}  // namespace xchat
