#include "service/dispatcher.hpp"

#include "proto/message_table.hpp"
#include "proto/request.hpp"
#include "service/subscription.hpp"
#include "store/accounts.hpp"

namespace xchat {

using proto::Access;
using proto::RequestType;

void Dispatcher::dispatch(const std::shared_ptr<net::Peer>& peer, std::string_view frame) {
  proto::Request request = proto::decode_request(frame);
  Call call(peer, std::move(request.id),
            std::make_shared<const nlohmann::json>(std::move(request.body)), metrics_);
  if (!request.status) return call.fail(request.status);

  const proto::MessageSpec* spec = proto::find_message(request.type);
  if (spec == nullptr) {
    return call.fail(Status(ErrorCode::kUnknownType,
                            "unknown request type '" + request.type.substr(0, 64) + "'"));
  }
  const bool logged_in = call.context().principal.has_value();
  switch (spec->access) {
    case Access::kAnyone:
      break;
    case Access::kAnonymous:
      if (logged_in) {
        return call.fail(Status(ErrorCode::kAlreadyAuthenticated, "this session is logged in"));
      }
      break;
    case Access::kAuthenticated:
    case Access::kSubscribed:
      if (!logged_in) {
        return call.fail(Status(ErrorCode::kUnauthenticated, "log in first (auth.login)"));
      }
      if (Status s = refresh_principal(call); !s) {
        call.fail(s);
        if (s.code() == ErrorCode::kAccountSuspended) {
          call.peer()->close(net::CloseCode::kRevoked, "account suspended or deleted");
        }
        return;
      }
      if (spec->access == Access::kSubscribed && settings_.get()->access.require_subscription &&
          !subscription_active(call.context().principal->subscription_until,
                               clock_.unix_seconds())) {
        return call.fail(
            Status(ErrorCode::kSubscriptionRequired, "this feature needs an active subscription"));
      }
      break;
  }

  switch (spec->type) {
    case RequestType::kPing:
      return call.ok({{"time", clock_.unix_seconds()}});
    case RequestType::kAuthChallenge:
      return auth_.challenge(call);
    case RequestType::kAuthLogin:
      return auth_.login(call);
    case RequestType::kRegister:
      return accounts_.register_account(call);
    case RequestType::kAccountInfo:
      return accounts_.account_info(call);
    case RequestType::kDeviceList:
      return accounts_.list_devices(call);
    case RequestType::kDeviceAdd:
      return accounts_.add_device(call);
    case RequestType::kDeviceRemove:
      return accounts_.remove_device(call);
    case RequestType::kUserLookup:
      return accounts_.lookup(call);
    case RequestType::kKeysUpload:
      return keys_.upload(call);
    case RequestType::kKeysFetch:
      return keys_.fetch(call);
    case RequestType::kSend:
      return messages_.send(call);
    case RequestType::kAck:
      return messages_.ack(call);
    case RequestType::kContactsAdd:
      return contacts_.add(call, store::contacts::List::kContacts);
    case RequestType::kContactsRemove:
      return contacts_.remove(call, store::contacts::List::kContacts);
    case RequestType::kContactsList:
      return contacts_.list(call, store::contacts::List::kContacts);
    case RequestType::kBlocksAdd:
      return contacts_.add(call, store::contacts::List::kBlocked);
    case RequestType::kBlocksRemove:
      return contacts_.remove(call, store::contacts::List::kBlocked);
    case RequestType::kBlocksList:
      return contacts_.list(call, store::contacts::List::kBlocked);
    case RequestType::kPrivacySet:
      return contacts_.set_privacy(call);
    case RequestType::kAttachmentUploadToken:
      return attachments_.upload_token(call);
    case RequestType::kAttachmentDownloadToken:
      return attachments_.download_token(call);
  }
  call.fail(Status(ErrorCode::kInternal, "unhandled request type"));
}

Status Dispatcher::refresh_principal(const Call& call) {
  auto& p = *call.context().principal;
  const auto now = std::chrono::steady_clock::now();
  if (now - p.refreshed_at < kAccountRefresh) return Status::ok();
  auto reader = store_.readers().acquire();
  if (!reader) return reader.status();
  auto account = store::accounts::find_by_id(**reader, p.account_id);
  if (!account) return account.status();
  if (!*account || (*account)->suspended) {
    return Status(ErrorCode::kAccountSuspended, "this account is suspended or was deleted");
  }
  p.subscription_until = (*account)->subscription_until;
  p.refreshed_at = now;
  return Status::ok();
}

}  // namespace xchat
