#pragma once

#include "app/settings.hpp"
#include "service/call.hpp"
#include "service/clock.hpp"
#include "service/rate_limiter.hpp"
#include "store/contacts.hpp"
#include "store/store.hpp"

namespace xchat {

// The caller's contacts (who may always message them, and whose messages are not
// flagged as requests), block list (whose envelopes are dropped) and who_can_message
// setting. Accepting a message request is adding its sender as a contact; blocking one is
// blocking its sender. Handlers run on the calling session's strand; writes answer after
// COMMIT.
class ContactService {
 public:
  // `lookups`: the enumeration budget AccountService's user.lookup spends too (adding a
  // handle tells whether it exists).
  ContactService(const Settings& settings, store::Store& store, const Clock& clock,
                 RateLimiter& lookups)
      : settings_(settings), store_(store), clock_(clock), lookups_(lookups) {}

  // contacts.add / blocks.add: idempotent; at most limits.max_contacts entries per list.
  // Blocking also deletes what the blocked account had queued for the caller.
  void add(const Call& call, store::contacts::List list);
  // contacts.remove / blocks.remove: {"removed": whether it was there}.
  void remove(const Call& call, store::contacts::List list);
  // contacts.list / blocks.list, by canonical handle.
  void list(const Call& call, store::contacts::List list);
  // privacy.set: who_can_message = everyone | contacts.
  void set_privacy(const Call& call);

 private:
  // The account named by the request's "handle": kNotFound when there is none (or it is
  // suspended, as user.lookup says, unless `include_suspended`), kBadRequest when it is the
  // caller's own.
  Result<std::int64_t> other_account(const Call& call, bool include_suspended);

  const Settings& settings_;
  store::Store& store_;
  const Clock& clock_;
  RateLimiter& lookups_;
};

}  // namespace xchat
