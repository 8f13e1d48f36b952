#pragma once

#include <span>
#include <string_view>

namespace xchat::proto {

// Who may send a request.
enum class Access {
  kAnyone,         // before or after login
  kAnonymous,      // only before login (register, login)
  kAuthenticated,  // a logged-in device
  kSubscribed,     // logged in, and subscribed when access.require_subscription is on
};

enum class RequestType {
  kPing,
  kAuthChallenge,
  kAuthLogin,
  kRegister,
  kAccountInfo,
  kDeviceList,
  kDeviceAdd,
  kDeviceRemove,
  kUserLookup,
  kKeysUpload,
  kKeysFetch,
  kSend,
  kAck,
  kContactsAdd,
  kContactsRemove,
  kContactsList,
  kBlocksAdd,
  kBlocksRemove,
  kBlocksList,
  kPrivacySet,
  kAttachmentUploadToken,
  kAttachmentDownloadToken,
};

// One row of the protocol's table of requests. docs/protocol.md documents each.
struct MessageSpec {
  std::string_view name;  // the "type" field on the wire
  RequestType type;
  Access access;
};

std::span<const MessageSpec> message_table();

// Null for an unknown name.
const MessageSpec* find_message(std::string_view name);

}  // namespace xchat::proto
