#pragma once

#include <memory>
#include <string_view>

#include "app/settings.hpp"
#include "net/peer.hpp"
#include "service/account_service.hpp"
#include "service/attachment_service.hpp"
#include "service/auth_service.hpp"
#include "service/clock.hpp"
#include "service/contact_service.hpp"
#include "service/key_service.hpp"
#include "service/message_service.hpp"
#include "store/store.hpp"

namespace xchat {

// Turns a client's text frame into a service call: decodes it, looks its type up in the
// message table, enforces the table's access rule, and hands it to the service. Every
// frame gets exactly one reply; bad input gets an error reply and the session goes on.
// Thread-safe; dispatch() runs on the calling session's strand.
class Dispatcher {
 public:
  Dispatcher(const Settings& settings, store::Store& store, const Clock& clock, Metrics& metrics,
             AuthService& auth, AccountService& accounts, KeyService& keys,
             MessageService& messages, ContactService& contacts, AttachmentService& attachments)
      : settings_(settings),
        store_(store),
        clock_(clock),
        metrics_(metrics),
        auth_(auth),
        accounts_(accounts),
        keys_(keys),
        messages_(messages),
        contacts_(contacts),
        attachments_(attachments) {}

  void dispatch(const std::shared_ptr<net::Peer>& peer, std::string_view frame);

  // How often a live session re-reads its account (suspension, subscription changes).
  static constexpr std::chrono::seconds kAccountRefresh{5};

 private:
  // Re-reads the caller's account when the cached copy is older than kAccountRefresh.
  // kAccountSuspended when the account is gone or suspended: the caller answers, then
  // closes the session.
  Status refresh_principal(const Call& call);

  const Settings& settings_;
  store::Store& store_;
  const Clock& clock_;
  Metrics& metrics_;
  AuthService& auth_;
  AccountService& accounts_;
  KeyService& keys_;
  MessageService& messages_;
  ContactService& contacts_;
  AttachmentService& attachments_;
};

}  // namespace xchat
