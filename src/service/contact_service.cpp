#include "service/contact_service.hpp"

#include "proto/fields.hpp"
#include "store/accounts.hpp"
#include "store/envelopes.hpp"
#include "xchat/base64.hpp"

namespace xchat {

namespace {

using store::contacts::List;

// The result key of one entry, and of the list.
const char* entry_key(List list) { return list == List::kContacts ? "contact" : "blocked"; }
const char* list_key(List list) { return list == List::kContacts ? "contacts" : "blocked"; }

nlohmann::json entry_json(List list, const store::contacts::Entry& e) {
  if (list == List::kBlocked) return {{"handle", e.handle}, {"blocked_at", e.added_at}};
  return {{"handle", e.handle},
          {"identity_key", base64_encode(e.identity_key)},
          {"added_at", e.added_at}};
}

}  // namespace

Result<std::int64_t> ContactService::other_account(const Call& call, bool include_suspended) {
  auto handle = proto::handle_field(call.body(), "handle");
  if (!handle) return handle.status();
  if (handle->key == call.context().principal->handle_key) {
    return Status(ErrorCode::kBadRequest, "'handle' is your own handle");
  }
  auto reader = store_.readers().acquire();
  if (!reader) return reader.status();
  auto account = store::accounts::find_by_handle(**reader, handle->key);
  if (!account) return account.status();
  if (!(include_suspended ? account->has_value() : store::accounts::visible(*account))) {
    return Status(ErrorCode::kNotFound, "no such handle");
  }
  return (*account)->id;
}

void ContactService::add(const Call& call, List list) {
  if (!lookups_.try_acquire(
          RateLimiter::account_key(call.context().principal->account_id),
          RateLimiter::Rate::per_minute(settings_.get()->limits.lookups_per_account_per_minute))) {
    return call.fail(Status(ErrorCode::kRateLimited, "too many lookups; try again later"));
  }
  auto other = other_account(call, /*include_suspended=*/false);
  if (!other) return call.fail(other.status());
  if (Status s = store_.free_space().admit(); !s) return call.fail(s);
  auto entry = std::make_shared<store::contacts::Entry>();
  store_.writer().submit(
      [list, me = call.context().principal->account_id, other = *other, entry,
       now = clock_.unix_millis(),
       max = settings_.get()->limits.max_contacts](store::Database& db) -> Status {
        auto added = store::contacts::add(db, list, me, other, now, max);
        if (!added) return added.status();
        *entry = std::move(*added);
        if (list == List::kBlocked) {
          // What the blocked account had queued for us goes too.
          if (auto r = store::envelopes::remove_from_sender(db, me, other); !r) return r.status();
        }
        return Status::ok();
      },
      [call, list, entry](Status s) {
        call.on_strand([call, list, entry, s = std::move(s)] {
          if (!s) return call.fail(s);
          call.ok({{entry_key(list), entry_json(list, *entry)}});
        });
      });
}

void ContactService::remove(const Call& call, List list) {
  // Removing tells nothing about a suspended account the caller did not already know: it
  // was on their list or it was not.
  auto other = other_account(call, /*include_suspended=*/true);
  if (!other) {
    if (other.status().code() == ErrorCode::kNotFound) return call.ok({{"removed", false}});
    return call.fail(other.status());
  }
  auto removed = std::make_shared<bool>(false);
  store_.writer().submit(
      [list, me = call.context().principal->account_id, other = *other,
       removed](store::Database& db) -> Status {
        auto r = store::contacts::remove(db, list, me, other);
        if (!r) return r.status();
        *removed = *r;
        return Status::ok();
      },
      [call, removed](Status s) {
        call.on_strand([call, removed, s = std::move(s)] {
          if (!s) return call.fail(s);
          call.ok({{"removed", *removed}});
        });
      });
}

void ContactService::list(const Call& call, List list) {
  auto reader = store_.readers().acquire();
  if (!reader) return call.fail(reader.status());
  auto entries = store::contacts::list(**reader, list, call.context().principal->account_id);
  if (!entries) return call.fail(entries.status());
  auto out = nlohmann::json::array();
  for (const auto& e : *entries) out.push_back(entry_json(list, e));
  call.ok({{list_key(list), std::move(out)}});
}

void ContactService::set_privacy(const Call& call) {
  auto value = proto::string_field(call.body(), "who_can_message", 16);
  if (!value) return call.fail(value.status());
  if (*value != "everyone" && *value != "contacts") {
    return call.fail(Status(ErrorCode::kBadRequest,
                            "field 'who_can_message' must be \"everyone\" or \"contacts\""));
  }
  const bool contacts_only = *value == "contacts";
  store_.writer().submit(
      [me = call.context().principal->account_id, contacts_only](store::Database& db) {
        return store::accounts::set_contacts_only(db, me, contacts_only);
      },
      [call, value = *value](Status s) {
        call.on_strand([call, value, s = std::move(s)] {
          if (!s) return call.fail(s);
          call.ok({{"who_can_message", value}});
        });
      });
}

}  // namespace xchat
