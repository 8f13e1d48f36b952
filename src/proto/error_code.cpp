#include "xchat/error_code.hpp"

namespace xchat {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "ok";
    case ErrorCode::kBadRequest:
      return "bad_request";
    case ErrorCode::kUnknownType:
      return "unknown_type";
    case ErrorCode::kTooLarge:
      return "too_large";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kAlreadyAuthenticated:
      return "already_authenticated";
    case ErrorCode::kRateLimited:
      return "rate_limited";
    case ErrorCode::kInvalidHandle:
      return "invalid_handle";
    case ErrorCode::kHandleTaken:
      return "handle_taken";
    case ErrorCode::kRegistrationClosed:
      return "registration_closed";
    case ErrorCode::kInviteRequired:
      return "invite_required";
    case ErrorCode::kInviteInvalid:
      return "invite_invalid";
    case ErrorCode::kBadSignature:
      return "bad_signature";
    case ErrorCode::kUnknownDevice:
      return "unknown_device";
    case ErrorCode::kDeviceExists:
      return "device_exists";
    case ErrorCode::kTooManyDevices:
      return "too_many_devices";
    case ErrorCode::kLastDevice:
      return "last_device";
    case ErrorCode::kNonceUnknown:
      return "nonce_unknown";
    case ErrorCode::kNonceExpired:
      return "nonce_expired";
    case ErrorCode::kAccountSuspended:
      return "account_suspended";
    case ErrorCode::kSubscriptionRequired:
      return "subscription_required";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kStaleDevices:
      return "stale_devices";
    case ErrorCode::kNotAllowed:
      return "not_allowed";
    case ErrorCode::kQueueFull:
      return "queue_full";
    case ErrorCode::kWindowClosed:
      return "window_closed";
    case ErrorCode::kUnauthorized:
      return "unauthorized";
    case ErrorCode::kOffsetMismatch:
      return "offset_mismatch";
    case ErrorCode::kUploadBusy:
      return "upload_busy";
    case ErrorCode::kUploadIncomplete:
      return "upload_incomplete";
    case ErrorCode::kAlreadyComplete:
      return "already_complete";
    case ErrorCode::kFileTooLarge:
      return "file_too_large";
    case ErrorCode::kRangeNotSatisfiable:
      return "range_not_satisfiable";
    case ErrorCode::kTooManyUploads:
      return "too_many_uploads";
    case ErrorCode::kQuotaExceeded:
      return "quota_exceeded";
    case ErrorCode::kStorageFull:
      return "storage_full";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

std::optional<ErrorCode> error_code_from_string(std::string_view text) {
  for (int i = 0; i < kErrorCodeCount; ++i) {
    const auto code = static_cast<ErrorCode>(i);
    if (to_string(code) == text) return code;
  }
  return std::nullopt;
}

}  // namespace xchat
