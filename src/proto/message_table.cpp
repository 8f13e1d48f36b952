#include "proto/message_table.hpp"

#include <array>

namespace xchat::proto {

namespace {

constexpr std::array<MessageSpec, 22> kMessages = {{
    {"ping", RequestType::kPing, Access::kAnyone},
    {"auth.challenge", RequestType::kAuthChallenge, Access::kAnonymous},
    {"auth.login", RequestType::kAuthLogin, Access::kAnonymous},
    {"register", RequestType::kRegister, Access::kAnonymous},
    {"account.info", RequestType::kAccountInfo, Access::kAuthenticated},
    {"device.list", RequestType::kDeviceList, Access::kAuthenticated},
    {"device.add", RequestType::kDeviceAdd, Access::kAuthenticated},
    {"device.remove", RequestType::kDeviceRemove, Access::kAuthenticated},
    {"user.lookup", RequestType::kUserLookup, Access::kSubscribed},
    // Publishing one's own keys is account upkeep, not a chat feature: no subscription.
    {"keys.upload", RequestType::kKeysUpload, Access::kAuthenticated},
    {"keys.fetch", RequestType::kKeysFetch, Access::kSubscribed},
    {"send", RequestType::kSend, Access::kSubscribed},
    // Receiving what was already accepted, and managing one's own lists, stay possible
    // when a subscription lapses.
    {"ack", RequestType::kAck, Access::kAuthenticated},
    {"contacts.add", RequestType::kContactsAdd, Access::kAuthenticated},
    {"contacts.remove", RequestType::kContactsRemove, Access::kAuthenticated},
    {"contacts.list", RequestType::kContactsList, Access::kAuthenticated},
    {"blocks.add", RequestType::kBlocksAdd, Access::kAuthenticated},
    {"blocks.remove", RequestType::kBlocksRemove, Access::kAuthenticated},
    {"blocks.list", RequestType::kBlocksList, Access::kAuthenticated},
    {"privacy.set", RequestType::kPrivacySet, Access::kAuthenticated},
    // Sharing a file is a chat feature; fetching one sent to you is receiving.
    {"attachment.upload_token", RequestType::kAttachmentUploadToken, Access::kSubscribed},
    {"attachment.download_token", RequestType::kAttachmentDownloadToken, Access::kAuthenticated},
}};

}  // namespace

std::span<const MessageSpec> message_table() { return kMessages; }

const MessageSpec* find_message(std::string_view name) {
  for (const auto& m : kMessages) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace xchat::proto
