#include "service/message_service.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "proto/envelope_push.hpp"
#include "proto/fields.hpp"
#include "store/accounts.hpp"
#include "store/attachments.hpp"
#include "store/contacts.hpp"
#include "store/envelopes.hpp"
#include "store/sends.hpp"
#include "xchat/base64.hpp"
#include "xchat/hex.hpp"

namespace xchat {

namespace {

using store::envelopes::DeviceQueue;
using store::envelopes::Envelope;
using store::envelopes::Kind;

constexpr std::size_t kMessageIdBytes = 16;
constexpr std::uint32_t kMaxDeviceId = 0x7fffffff;
constexpr std::size_t kMaxAcks = 1024;
constexpr std::size_t kMaxAttachments = 16;

// The per-device ciphertexts of one list ("envelopes" or "sync"), as Envelopes without
// their sender and seq yet.
Result<std::vector<Envelope>> parse_copies(const nlohmann::json& body, std::string_view name,
                                           std::int64_t account_id, const LimitsConfig& limits) {
  auto it = body.find(name);
  if (it == body.end()) {
    return Status(ErrorCode::kBadRequest, "missing field '" + std::string(name) + "'");
  }
  if (!it->is_array()) {
    return Status(ErrorCode::kBadRequest,
                  "field '" + std::string(name) + "' must be an array of {device_id, ciphertext}");
  }
  if (static_cast<std::int64_t>(it->size()) > limits.max_devices_per_account) {
    return Status(ErrorCode::kTooLarge, "field '" + std::string(name) + "' lists more than " +
                                            std::to_string(limits.max_devices_per_account) +
                                            " devices");
  }
  std::vector<Envelope> out;
  out.reserve(it->size());
  for (const auto& item : *it) {
    if (!item.is_object()) {
      return Status(ErrorCode::kBadRequest,
                    "field '" + std::string(name) + "' must hold objects {device_id, ciphertext}");
    }
    auto device = proto::u32_field(item, "device_id", 1, kMaxDeviceId);
    if (!device) return device.status();
    auto ciphertext =
        proto::blob_field(item, "ciphertext", static_cast<std::size_t>(limits.max_envelope_bytes));
    if (!ciphertext) return ciphertext.status();
    if (std::any_of(out.begin(), out.end(),
                    [&](const Envelope& e) { return e.device_id == *device; })) {
      return Status(ErrorCode::kBadRequest, "field '" + std::string(name) + "' lists device " +
                                                std::to_string(*device) + " twice");
    }
    Envelope e;
    e.account_id = account_id;
    e.device_id = *device;
    e.ciphertext = std::move(*ciphertext);
    out.push_back(std::move(e));
  }
  return out;
}

nlohmann::json device_ids(const std::vector<DeviceQueue>& devices) {
  auto ids = nlohmann::json::array();
  for (const auto& d : devices) ids.push_back(d.device_id);
  return ids;
}

// Whether copies [begin, end) address only existing devices and every one of them that
// published keys (a device without keys cannot be encrypted for, so it may be left out).
// Copies never repeat a device.
bool addresses_current(std::vector<Envelope>::const_iterator begin,
                       std::vector<Envelope>::const_iterator end,
                       const std::vector<DeviceQueue>& devices) {
  const bool all_exist = std::all_of(begin, end, [&](const Envelope& e) {
    return std::any_of(devices.begin(), devices.end(),
                       [&](const DeviceQueue& d) { return d.device_id == e.device_id; });
  });
  return all_exist && std::all_of(devices.begin(), devices.end(), [&](const DeviceQueue& d) {
           return !d.has_keys || std::any_of(begin, end, [&](const Envelope& e) {
             return e.device_id == d.device_id;
           });
         });
}

// The device lists a send is checked against: the recipient's devices, and the sender's
// other devices.
struct Addressees {
  std::vector<DeviceQueue> recipient;
  std::vector<DeviceQueue> own_others;
};

// The sender's own devices are read only when the send has sync copies to check.
Result<Addressees> addressees(store::Database& db, std::int64_t recipient_id,
                              std::int64_t sender_id, std::uint32_t sender_device, bool has_sync) {
  Addressees out;
  auto theirs = store::envelopes::device_queues(db, recipient_id);
  if (!theirs) return theirs.status();
  out.recipient = std::move(*theirs);
  if (!has_sync) return out;
  auto mine = store::envelopes::device_queues(db, sender_id);
  if (!mine) return mine.status();
  for (auto& d : *mine) {
    if (d.device_id != sender_device) out.own_others.push_back(d);
  }
  return out;
}

// kStaleDevices, with the current lists in `details`, when the copies do not address
// the recipient's current devices (the first `recipient_count`) and, when `has_sync`, the
// sender's other devices (the rest).
Status check_addressees(const std::vector<Envelope>& copies, std::size_t recipient_count,
                        bool has_sync, const Addressees& current, nlohmann::json& details) {
  const auto split = copies.begin() + static_cast<std::ptrdiff_t>(recipient_count);
  const bool theirs_ok = addresses_current(copies.begin(), split, current.recipient);
  const bool mine_ok = !has_sync || addresses_current(split, copies.end(), current.own_others);
  if (theirs_ok && mine_ok) return Status::ok();
  details = {{"devices", device_ids(current.recipient)}};
  if (has_sync) details["sync_devices"] = device_ids(current.own_others);
  return Status(ErrorCode::kStaleDevices,
                "the send does not address the current devices; see 'devices'");
}

// Who a send goes to, and how they treat the sender.
struct Recipient {
  std::int64_t id = 0;
  store::contacts::Standing standing;
};

// kNotFound for an unknown or suspended handle; kNotAllowed when the recipient takes
// messages from contacts only and the sender is not one — blocked or not, so that being
// blocked does not show. An unsend is never refused for that: it takes back what the
// recipient once accepted.
Result<Recipient> resolve_recipient(store::Database& db,
                                    const std::optional<store::accounts::Account>& account,
                                    std::int64_t sender_id, Kind kind) {
  if (!store::accounts::visible(account)) return Status(ErrorCode::kNotFound, "no such handle");
  auto standing = store::contacts::standing(db, account->id, sender_id);
  if (!standing) return standing.status();
  if (standing->contacts_only && !standing->contact && kind != Kind::kUnsend) {
    return Status(ErrorCode::kNotAllowed, account->handle + " accepts messages from contacts only");
  }
  return Recipient{account->id, *standing};
}

// Fills in what depends on the recipient: the account of its copies, and the request flag.
void address_copies(std::vector<Envelope>& copies, std::size_t recipient_count,
                    const Recipient& recipient) {
  for (std::size_t i = 0; i < recipient_count; ++i) {
    copies[i].account_id = recipient.id;
    copies[i].request = !recipient.standing.contact;
  }
}

// A stored send on its way through the store writer, shared by the writer's work, its
// completion and the deliveries that point into `copies`. Every check that reads the
// database runs in the writer, whose page cache stays warm (a reader's is emptied by each
// commit, and re-reading it cost more than the checks themselves).
struct PendingSend {
  std::string recipient_key;  // canonical handle
  std::int64_t sender_id = 0;
  std::uint32_t sender_device = 0;
  std::string message_id;
  std::int64_t accepted_at = 0;
  bool has_sync = false;
  std::int64_t max_queued = 0;
  RateLimiter* budget = nullptr;
  RateLimiter::Rate rate;
  std::size_t recipient_count = 0;  // copies[0, recipient_count) are the recipient's
  std::vector<Envelope> copies;
  // Vanishing, edit and unsend.
  std::int64_t expires_at = 0;  // set by expires_in, or inherited from the original
  Kind kind = Kind::kMessage;
  std::string refers_to;                 // the original's message id
  std::int64_t window_ms = 0;            // how long after the original an edit or unsend may come
  std::vector<std::string> attachments;  // raw ids of the sender's attachments it carries

  // Outcome.
  std::int64_t recipient_id = 0;
  std::vector<bool> stored;  // per copy: written to its device's queue
  std::int64_t unsent = 0;   // undelivered copies of the original (and its edits) deleted
  bool replay = false;       // a retry, answered from the earlier result
  nlohmann::json result;
  nlohmann::json error_details = nlohmann::json::object();

  bool delivered(std::size_t i) const { return stored[i]; }
};

// A device, as (account id, device id).
using DeviceKey = std::pair<std::int64_t, std::uint32_t>;

// Checks the message an edit or unsend names, and gives the send the original's expiry.
Result<store::sends::Sent> check_original(store::Database& db, PendingSend& s) {
  auto sent = store::sends::find_by_account(db, s.sender_id, s.refers_to);
  if (!sent) return sent.status();
  const std::string field = s.kind == Kind::kEdit ? "edits" : "retracts";
  if (!*sent || (*sent)->record.retracted ||
      store::envelopes::expired((*sent)->record.expires_at, s.accepted_at)) {
    return Status(ErrorCode::kNotFound, "'" + field +
                                            "': you sent no such message, or it vanished or "
                                            "was unsent");
  }
  const auto& original = (*sent)->record;
  if (original.kind != Kind::kMessage) {
    return Status(ErrorCode::kBadRequest,
                  "'" + field + "' must name a message, not an edit or an unsend");
  }
  if (original.recipient_id != s.recipient_id) {
    return Status(ErrorCode::kBadRequest, "'" + field + "' names a message to another handle");
  }
  if (s.accepted_at - original.accepted_at >= s.window_ms) {
    return Status(ErrorCode::kWindowClosed, std::string("too late to ") +
                                                (s.kind == Kind::kEdit ? "edit" : "unsend") +
                                                " that message: the window is " +
                                                std::to_string(s.window_ms / 1000) + " seconds");
  }
  s.expires_at = original.expires_at;
  return std::move(**sent);
}

// Unsend: deletes every still-queued copy of the original and of its edits, marks it
// unsent, and decides which copies of the unsend itself to store: only for devices that
// may have received the original — it was acknowledged there, or the device is online now
// (its copy may be on the wire) — so a device that never saw the message sees nothing.
Status withdraw(store::Database& db, PendingSend& s, const store::sends::Sent& original,
                const net::SessionRegistry& registry) {
  auto edits = store::sends::edit_results(db, s.sender_id, s.refers_to);
  if (!edits) return edits.status();
  edits->push_back(original.record.result);
  std::set<DeviceKey> addressed = {{s.sender_id, original.sender_device}};
  std::set<DeviceKey> still_queued;
  for (const auto& text : *edits) {
    const auto result = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    for (const auto& [list, account] :
         {std::pair<const char*, std::int64_t>{"envelopes", s.recipient_id},
          std::pair<const char*, std::int64_t>{"sync", s.sender_id}}) {
      const auto it = result.find(list);
      if (it == result.end() || !it->is_array()) continue;
      for (const auto& item : *it) {
        const DeviceKey device{account, item.value("device_id", 0u)};
        addressed.insert(device);
        auto removed =
            store::envelopes::remove_sent(db, item.value("seq", std::int64_t{0}), s.sender_id);
        if (!removed) return removed.status();
        if (*removed) {
          ++s.unsent;
          still_queued.insert(device);
        }
      }
    }
  }
  for (std::size_t i = 0; i < s.copies.size(); ++i) {
    const DeviceKey device{s.copies[i].account_id, s.copies[i].device_id};
    const bool received = !still_queued.contains(device) ||
                          registry.find_device({device.first, device.second}) != nullptr;
    s.stored[i] = s.stored[i] && addressed.contains(device) && received;
  }
  return store::sends::mark_retracted(db, s.sender_id, original.sender_device, s.refers_to);
}

// Every attachment a send names must be a complete, unexpired one of the sender's account.
Status check_attachments(store::Database& db, const PendingSend& s) {
  for (const std::string& id : s.attachments) {
    auto found = store::attachments::find(db, id);
    if (!found) return found.status();
    if (!*found || (*found)->owner_id != s.sender_id || !(*found)->available(s.accepted_at)) {
      return Status(ErrorCode::kNotFound,
                    "'attachments': " + hex_encode(id) + " is no finished attachment of yours");
    }
  }
  return Status::ok();
}

// Lets every device a copy is stored for download the send's attachments, and makes them
// vanish with the message when it does.
Status attach(store::Database& db, const PendingSend& s) {
  for (const std::string& id : s.attachments) {
    for (std::size_t i = 0; i < s.copies.size(); ++i) {
      if (!s.delivered(i)) continue;
      if (Status st =
              store::attachments::grant(db, id, s.copies[i].account_id, s.copies[i].device_id);
          !st) {
        return st;
      }
    }
    if (s.expires_at != 0) {
      if (Status st = store::attachments::expire_by(db, id, s.expires_at); !st) return st;
    }
  }
  return Status::ok();
}

Status store_send(store::Database& db, PendingSend& s, const net::SessionRegistry& registry) {
  auto account = store::accounts::find_by_handle(db, s.recipient_key);
  if (!account) return account.status();
  // A retry of an accepted send gets its first answer, whatever changed since.
  auto earlier = store::sends::find(db, s.sender_id, s.sender_device, s.message_id);
  if (!earlier) return earlier.status();
  if (*earlier) {
    if (*account && (*account)->id != (*earlier)->recipient_id) {
      return Status(ErrorCode::kBadRequest, "message_id already used for another send");
    }
    s.result = nlohmann::json::parse((*earlier)->result, nullptr, /*allow_exceptions=*/false);
    s.replay = true;
    return Status::ok();
  }
  if (!s.budget->try_acquire(RateLimiter::account_key(s.sender_id), s.rate)) {
    return Status(ErrorCode::kRateLimited, "too many sends; try again later");
  }
  auto recipient = resolve_recipient(db, *account, s.sender_id, s.kind);
  if (!recipient) return recipient.status();
  s.recipient_id = recipient->id;
  std::optional<store::sends::Sent> original;
  if (s.kind != Kind::kMessage) {
    auto checked = check_original(db, s);
    if (!checked) return checked.status();
    original = std::move(*checked);
  }
  // The recipient blocked the sender: answer as usual and make the sync copies, but store
  // nothing for the recipient (the sender's own devices must not show the block either).
  s.stored.assign(s.copies.size(), true);
  if (recipient->standing.blocked) {
    std::fill_n(s.stored.begin(), s.recipient_count, false);
  }
  address_copies(s.copies, s.recipient_count, *recipient);
  for (Envelope& e : s.copies) {
    e.expires_at = s.expires_at;
    e.kind = s.kind;
    e.refers_to = s.refers_to;
  }

  auto current = addressees(db, s.recipient_id, s.sender_id, s.sender_device, s.has_sync);
  if (!current) return current.status();
  if (Status st =
          check_addressees(s.copies, s.recipient_count, s.has_sync, *current, s.error_details);
      !st) {
    return st;
  }
  for (std::size_t i = 0; i < s.copies.size(); ++i) {
    const auto& list = i < s.recipient_count ? current->recipient : current->own_others;
    for (const auto& d : list) {
      if (d.device_id == s.copies[i].device_id && d.queued >= s.max_queued) {
        return Status(ErrorCode::kQueueFull,
                      "an addressed device has too many envelopes waiting; try again later");
      }
    }
  }
  if (Status st = check_attachments(db, s); !st) return st;
  if (s.kind == Kind::kUnsend) {
    if (Status st = withdraw(db, s, *original, registry); !st) return st;
  }
  if (Status st = attach(db, s); !st) return st;
  auto first = store::envelopes::allocate_seqs(db, static_cast<std::int64_t>(s.copies.size()));
  if (!first) return first.status();
  auto theirs = nlohmann::json::array();
  auto mine = nlohmann::json::array();
  for (std::size_t i = 0; i < s.copies.size(); ++i) {
    Envelope& e = s.copies[i];
    e.seq = *first + static_cast<std::int64_t>(i);
    if (s.delivered(i)) {
      if (Status st = store::envelopes::insert(db, e); !st) return st;
    }
    (i < s.recipient_count ? theirs : mine).push_back({{"device_id", e.device_id}, {"seq", e.seq}});
  }
  s.result = {{"message_id", base64_encode(s.message_id)},
              {"timestamp", s.accepted_at},
              {"envelopes", std::move(theirs)}};
  if (s.has_sync) s.result["sync"] = std::move(mine);
  if (s.expires_at != 0) s.result["expires_at"] = s.expires_at;
  store::sends::Record record;
  record.recipient_id = s.recipient_id;
  record.result = s.result.dump();
  record.accepted_at = s.accepted_at;
  record.kind = s.kind;
  record.refers_to = s.refers_to;
  record.expires_at = s.expires_at;
  return store::sends::insert(db, s.sender_id, s.sender_device, s.message_id, record);
}

// What a send is besides its copies: a timer, or a reference to the message it edits or
// unsends.
struct SendOptions {
  bool ephemeral = false;
  std::int64_t expires_in_ms = 0;  // 0: does not vanish (or inherits, for edit and unsend)
  Kind kind = Kind::kMessage;
  std::string refers_to;
  std::vector<std::string> attachments;  // raw ids
};

Result<std::vector<std::string>> parse_attachments(const nlohmann::json& body) {
  std::vector<std::string> out;
  const auto it = body.find("attachments");
  if (it == body.end()) return out;
  if (!it->is_array()) {
    return Status(ErrorCode::kBadRequest, "field 'attachments' must be an array of attachment ids");
  }
  if (it->size() > kMaxAttachments) {
    return Status(ErrorCode::kTooLarge,
                  "a message carries at most " + std::to_string(kMaxAttachments) + " attachments");
  }
  for (const auto& item : *it) {
    const auto* text = item.get_ptr<const std::string*>();
    auto id = text != nullptr ? hex_decode(*text) : std::nullopt;
    if (!id || id->size() != store::attachments::kIdBytes) {
      return Status(ErrorCode::kBadRequest,
                    "field 'attachments' must hold attachment ids: 32 lowercase hex digits");
    }
    if (std::find(out.begin(), out.end(), *id) != out.end()) {
      return Status(ErrorCode::kBadRequest, "field 'attachments' names an attachment twice");
    }
    out.push_back(std::move(*id));
  }
  return out;
}

Result<SendOptions> parse_options(const nlohmann::json& body, const MessagesConfig& messages) {
  SendOptions out;
  auto ephemeral = proto::optional_bool_field(body, "ephemeral", false);
  if (!ephemeral) return ephemeral.status();
  out.ephemeral = *ephemeral;
  if (body.contains("expires_in")) {
    auto seconds = proto::u32_field(body, "expires_in",
                                    static_cast<std::uint32_t>(messages.min_expires_in_seconds),
                                    static_cast<std::uint32_t>(messages.max_expires_in_seconds));
    if (!seconds) return seconds.status();
    out.expires_in_ms = std::int64_t{*seconds} * 1000;
  }
  for (const auto& [name, kind] : {std::pair<const char*, Kind>{"edits", Kind::kEdit},
                                   std::pair<const char*, Kind>{"retracts", Kind::kUnsend}}) {
    if (!body.contains(name)) continue;
    if (out.kind != Kind::kMessage) {
      return Status(ErrorCode::kBadRequest, "'edits' and 'retracts' cannot be combined");
    }
    auto id = proto::bytes_field(body, name, kMessageIdBytes);
    if (!id) return id.status();
    out.kind = kind;
    out.refers_to = std::move(*id);
  }
  auto attachments = parse_attachments(body);
  if (!attachments) return attachments.status();
  out.attachments = std::move(*attachments);
  if (!out.attachments.empty() && (out.ephemeral || out.kind == Kind::kUnsend)) {
    return Status(ErrorCode::kBadRequest,
                  "an ephemeral send or an unsend cannot carry 'attachments'");
  }
  if (out.ephemeral && (out.expires_in_ms != 0 || out.kind != Kind::kMessage)) {
    return Status(ErrorCode::kBadRequest,
                  "an ephemeral send is never stored: it cannot carry 'expires_in', 'edits' or "
                  "'retracts'");
  }
  if (out.expires_in_ms != 0 && out.kind != Kind::kMessage) {
    return Status(ErrorCode::kBadRequest,
                  "an edit or unsend vanishes with the message it names: leave out 'expires_in'");
  }
  return out;
}

}  // namespace

void MessageService::send(const Call& call) {
  const auto config = settings_.get();
  const auto& body = call.body();
  const Principal& p = *call.context().principal;

  auto to = proto::handle_field(body, "to");
  if (!to) return call.fail(to.status());
  auto message_id = proto::bytes_field(body, "message_id", kMessageIdBytes);
  if (!message_id) return call.fail(message_id.status());
  auto options = parse_options(body, config->messages);
  if (!options) return call.fail(options.status());
  if (to->key == p.handle_key) {
    return call.fail(Status(ErrorCode::kBadRequest,
                            "'to' is your own handle; address your other devices with 'sync'"));
  }
  // The recipient's account ids are filled in once it is resolved.
  auto copies = parse_copies(body, "envelopes", 0, config->limits);
  if (!copies) return call.fail(copies.status());
  const std::size_t recipient_count = copies->size();
  const bool has_sync = body.contains("sync");
  if (has_sync) {
    auto sync = parse_copies(body, "sync", p.account_id, config->limits);
    if (!sync) return call.fail(sync.status());
    std::move(sync->begin(), sync->end(), std::back_inserter(*copies));
  }
  const std::int64_t now = clock_.unix_millis();
  for (Envelope& e : *copies) {
    e.sender_id = p.account_id;
    e.sender_handle = p.handle;
    e.sender_device = p.device_id;
    e.message_id = *message_id;
    e.accepted_at = now;
  }
  const auto rate = RateLimiter::Rate::per_minute(config->limits.sends_per_account_per_minute);
  if (options->ephemeral) {
    if (!sends_.try_acquire(RateLimiter::account_key(p.account_id), rate)) {
      return call.fail(Status(ErrorCode::kRateLimited, "too many sends; try again later"));
    }
    return relay_ephemeral(call, to->key, std::move(*copies), recipient_count, has_sync,
                           *message_id, now);
  }

  // An unsend deletes more than it stores: it goes through on a full disk, as acks do.
  if (options->kind != Kind::kUnsend) {
    if (Status s = store_.free_space().admit(); !s) return call.fail(s);
  }
  auto pending = std::make_shared<PendingSend>();
  pending->recipient_key = to->key;
  pending->sender_id = p.account_id;
  pending->sender_device = p.device_id;
  pending->message_id = std::move(*message_id);
  pending->accepted_at = now;
  pending->has_sync = has_sync;
  pending->max_queued = config->limits.max_queued_envelopes_per_device;
  pending->budget = &sends_;
  pending->rate = rate;
  pending->recipient_count = recipient_count;
  pending->copies = std::move(*copies);
  if (options->expires_in_ms != 0) pending->expires_at = now + options->expires_in_ms;
  pending->kind = options->kind;
  pending->refers_to = std::move(options->refers_to);
  pending->attachments = std::move(options->attachments);
  pending->window_ms =
      1000 * (options->kind == Kind::kEdit ? config->messages.edit_window_seconds
                                           : config->messages.unsend_window_seconds);
  store_.writer().submit(
      [this, pending](store::Database& db) { return store_send(db, *pending, registry_); },
      [this, call, pending](Status s) {
        // On the writer thread, in commit order: offers reach each session's
        // strand in seq order.
        if (s && !pending->replay) {
          if (pending->expires_at != 0) {
            expiry_.note_deadline(pending->expires_at);
          }
          if (pending->unsent > 0) {
            metrics_.envelopes_unsent.fetch_add(static_cast<std::uint64_t>(pending->unsent),
                                                std::memory_order_relaxed);
            checkpointer_.request();
          }
          for (std::size_t i = 0; i < pending->copies.size(); ++i) {
            if (!pending->delivered(i)) continue;
            const Envelope& e = pending->copies[i];
            metrics_.envelopes_stored.fetch_add(1, std::memory_order_relaxed);
            if (auto peer = registry_.find_device({e.account_id, e.device_id})) {
              delivery_.offer(peer, std::shared_ptr<const Envelope>(pending, &e));
            }
          }
        }
        call.on_strand([call, pending, s = std::move(s)] {
          if (!s) return call.fail(s, pending->error_details);
          call.ok(pending->result);
        });
      },
      store::Writer::Durability::kSynced,
      // store_send refuses before its first write: no savepoint needed.
      store::Writer::Atomicity::kFailsBeforeWriting);
}

void MessageService::relay_ephemeral(const Call& call, const std::string& recipient_key,
                                     std::vector<Envelope> copies, std::size_t recipient_count,
                                     bool has_sync, const std::string& message_id,
                                     std::int64_t now) {
  const Principal& p = *call.context().principal;
  Recipient recipient;
  {
    auto reader = store_.readers().acquire();
    if (!reader) return call.fail(reader.status());
    auto account = store::accounts::find_by_handle(**reader, recipient_key);
    if (!account) return call.fail(account.status());
    auto resolved = resolve_recipient(**reader, *account, p.account_id, Kind::kMessage);
    if (!resolved) return call.fail(resolved.status());
    recipient = *resolved;
    address_copies(copies, recipient_count, recipient);
    auto current = addressees(**reader, recipient.id, p.account_id, p.device_id, has_sync);
    if (!current) return call.fail(current.status());
    nlohmann::json details;
    if (Status s = check_addressees(copies, recipient_count, has_sync, *current, details); !s) {
      return call.fail(s, std::move(details));
    }
  }
  const bool drop = recipient.standing.blocked;
  for (std::size_t i = 0; i < copies.size(); ++i) {
    const Envelope& e = copies[i];
    // A blocked sender's own devices still get their copies: the block must not show.
    if (drop && i < recipient_count) continue;
    if (auto peer = registry_.find_device({e.account_id, e.device_id})) {
      metrics_.envelopes_sent.fetch_add(1, std::memory_order_relaxed);
      const std::string item = proto::encode_envelope_item(e, true);
      peer->send_best_effort(std::make_shared<const std::string>(
          std::move(proto::encode_envelopes_pushes(std::span<const std::string>(&item, 1))[0])));
    }
  }
  call.ok({{"message_id", base64_encode(message_id)}, {"timestamp", now}});
}

void MessageService::ack(const Call& call) {
  auto seqs = proto::int_array_field(call.body(), "seqs", kMaxAcks, 1);
  if (!seqs) return call.fail(seqs.status());
  const Principal& p = *call.context().principal;
  delivery_.acknowledged(call.peer(), *seqs);
  auto removed = std::make_shared<std::int64_t>(0);
  store_.writer().submit(
      [account_id = p.account_id, device_id = p.device_id, seqs = std::move(*seqs),
       removed](store::Database& db) -> Status {
        auto n = store::envelopes::remove(db, account_id, device_id, seqs);
        if (!n) return n.status();
        *removed = *n;
        return Status::ok();
      },
      [this, call, removed](Status s) {
        if (s) metrics_.envelopes_acked.fetch_add(*removed, std::memory_order_relaxed);
        call.on_strand([call, removed, s = std::move(s)] {
          if (!s) return call.fail(s);
          call.ok({{"acked", *removed}});
        });
      },
      // Lost at a power cut, an acknowledgement only means the envelope comes once more
      // (clients deduplicate): not worth an fsync of its own.
      store::Writer::Durability::kDeferred,
      // Only deletes: it can fail only on a storage error, which fails the batch anyway.
      store::Writer::Atomicity::kFailsBeforeWriting);
}

}  // namespace xchat
