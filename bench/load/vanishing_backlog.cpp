#include "load/vanishing_backlog.hpp"

#include "crypto/random.hpp"
#include "load/bench_user.hpp"
#include "service/clock.hpp"
#include "store/accounts.hpp"
#include "store/database.hpp"
#include "store/envelopes.hpp"
#include "store/store.hpp"

namespace xchat::bench {

namespace {

constexpr const char* kAdvanceDeadlines =
    "UPDATE envelopes SET expires_at = expires_at - ?1 WHERE expires_at IS NOT NULL";
constexpr const char* kCountEnvelopes = "SELECT count(*) FROM envelopes";
constexpr const char* kCountVanishing =
    "SELECT count(*) FROM envelopes WHERE expires_at IS NOT NULL";
constexpr const char* kSumQueued = "SELECT coalesce(sum(queued), 0) FROM devices";

constexpr std::size_t kMessageIdBytes = 16;
// How often the fill asks whether to give up.
constexpr std::int64_t kCancelCheckRows = 65536;

Result<std::unique_ptr<store::Database>> open(const std::string& data_dir) {
  store::Database::Options options;
  options.path = store::Store::database_path(data_dir);
  return store::Database::open(options);
}

// Registers `user` and its one device with the store functions a `register` request runs;
// returns the account id.
Result<std::int64_t> register_directly(store::Database& db, const BenchUser& user,
                                       std::int64_t now_ms) {
  auto id = store::accounts::insert(db, user.handle_key, user.handle, user.identity.public_key,
                                    now_ms / 1000);
  if (!id) return id;
  const store::accounts::Device device{user.device_id, user.device.public_key, now_ms / 1000};
  if (Status s = store::accounts::insert_device(db, *id, device, 1); !s) return s;
  return id;
}

Status store_backlog(store::Database& db, const VanishingBacklog& backlog,
                     const std::function<bool()>& cancelled) {
  const std::int64_t now = SystemClock().unix_millis();
  const std::string tag = make_run_tag();
  const BenchUser sender(bench_handle(tag, 's', 0));
  const BenchUser recipient(bench_handle(tag, 'r', 0));
  auto sender_id = register_directly(db, sender, now);
  if (!sender_id) return sender_id.status();
  auto recipient_id = register_directly(db, recipient, now);
  if (!recipient_id) return recipient_id.status();
  auto first_seq = store::envelopes::allocate_seqs(db, backlog.count);
  if (!first_seq) return first_seq.status();

  // The server cannot read ciphertext, so one random text serves every envelope; message
  // ids stay distinct, as the senders' clients make them.
  store::envelopes::Envelope e;
  e.account_id = *recipient_id;
  e.device_id = recipient.device_id;
  e.sender_id = *sender_id;
  e.sender_handle = sender.handle;
  e.sender_device = sender.device_id;
  e.accepted_at = now;
  e.ciphertext = crypto::random_bytes(backlog.ciphertext_bytes);
  for (std::int64_t i = 0; i < backlog.count; ++i) {
    if (i % kCancelCheckRows == 0 && cancelled()) {
      return Status(ErrorCode::kUnavailable, "interrupted");
    }
    e.seq = *first_seq + i;
    e.message_id = crypto::random_bytes(kMessageIdBytes);
    e.expires_at = backlog.first_deadline + backlog.spread_ms * i / backlog.count;
    if (Status s = store::envelopes::insert(db, e); !s) return s;
  }
  return Status::ok();
}

}  // namespace

Status fill_vanishing_backlog(const std::string& data_dir, const VanishingBacklog& backlog,
                              const std::function<bool()>& cancelled) {
  auto db = open(data_dir);
  if (!db) return db.status();
  if (Status s = (*db)->transaction([&] { return store_backlog(**db, backlog, cancelled); }); !s) {
    return s;
  }
  return (*db)->checkpoint_truncate();
}

Status advance_deadlines(const std::string& data_dir, std::int64_t ms) {
  auto db = open(data_dir);
  if (!db) return db.status();
  if (Status s =
          (*db)->transaction([&] { return (*db)->query(kAdvanceDeadlines).bind(1, ms).run(); });
      !s) {
    return s;
  }
  return (*db)->checkpoint_truncate();
}

Result<QueueCount> count_queue(const std::string& data_dir) {
  auto db = open(data_dir);
  if (!db) return db.status();
  auto envelopes = (*db)->scalar(kCountEnvelopes);
  if (!envelopes) return envelopes.status();
  auto vanishing = (*db)->scalar(kCountVanishing);
  if (!vanishing) return vanishing.status();
  auto queued = (*db)->scalar(kSumQueued);
  if (!queued) return queued.status();
  return QueueCount{*envelopes, *vanishing, *queued};
}

}  // namespace xchat::bench
