#include "service/attachment_service.hpp"

#include <spdlog/spdlog.h>

#include "crypto/random.hpp"
#include "proto/fields.hpp"
#include "xchat/hex.hpp"

namespace xchat {

namespace {

using store::attachments::Attachment;

constexpr std::int64_t kMillisPerHour = 3600 * 1000;

Status not_found() {
  return Status(ErrorCode::kNotFound, "no such attachment, or not yours to use");
}

AttachmentService::State state_of(const Attachment& a, std::int64_t offset) {
  return {a.id, a.size, offset, a.complete, a.expires_at};
}

}  // namespace

AttachmentService::AttachmentService(const Settings& settings, store::Store& store,
                                     const Clock& clock, Metrics& metrics, ExpiryScheduler& expiry)
    : settings_(settings),
      store_(store),
      clock_(clock),
      metrics_(metrics),
      expiry_(expiry),
      files_(store::AttachmentFiles::under(settings.get()->server.data_dir)) {}

void AttachmentService::upload_token(const Call& call) {
  const Principal& p = *call.context().principal;
  Grant grant;
  grant.scope = Grant::Scope::kUpload;
  grant.account_id = p.account_id;
  grant.device_id = p.device_id;
  grant.expires_at = clock_.unix_millis() + settings_.get()->attachments.token_ttl_seconds * 1000;
  call.ok({{"token", tokens_.issue(grant)}, {"expires_at", grant.expires_at}});
}

void AttachmentService::download_token(const Call& call) {
  const Principal& p = *call.context().principal;
  auto text = proto::string_field(call.body(), "attachment", 2 * store::attachments::kIdBytes);
  if (!text) return call.fail(text.status());
  const auto id = hex_decode(*text);
  if (!id || id->size() != store::attachments::kIdBytes) {
    return call.fail(
        Status(ErrorCode::kBadRequest, "field 'attachment' must be 32 lowercase hex digits"));
  }
  const std::int64_t now = clock_.unix_millis();
  std::int64_t size = 0;
  {
    auto reader = store_.readers().acquire();
    if (!reader) return call.fail(reader.status());
    auto found = store::attachments::find(**reader, *id);
    if (!found) return call.fail(found.status());
    if (!*found || !(*found)->available(now)) {
      return call.fail(not_found());
    }
    if ((*found)->owner_id != p.account_id) {
      auto granted = store::attachments::granted(**reader, *id, p.account_id, p.device_id);
      if (!granted) return call.fail(granted.status());
      if (!*granted) return call.fail(not_found());
    }
    size = (*found)->size;
  }
  Grant grant;
  grant.scope = Grant::Scope::kDownload;
  grant.account_id = p.account_id;
  grant.device_id = p.device_id;
  grant.expires_at = now + settings_.get()->attachments.token_ttl_seconds * 1000;
  grant.attachment_id = *id;
  call.ok({{"token", tokens_.issue(grant)}, {"expires_at", grant.expires_at}, {"size", size}});
}

Result<AttachmentService::Grant> AttachmentService::authorize(std::string_view token,
                                                              Grant::Scope scope) const {
  auto grant = tokens_.verify(token, clock_.unix_millis());
  if (!grant) return grant.status();
  if (grant->scope != scope) {
    return Status(ErrorCode::kUnauthorized, scope == Grant::Scope::kUpload
                                                ? "this needs an upload token"
                                                : "this needs a download token");
  }
  return grant;
}

void AttachmentService::create(const Grant& grant, std::int64_t size, StateDone done) {
  const auto config = settings_.get();
  const auto& limits = config->attachments;
  if (size > limits.max_file_bytes) {
    return done(Status(ErrorCode::kFileTooLarge, "attachments are limited to " +
                                                     std::to_string(limits.max_file_bytes) +
                                                     " bytes (attachments.max_file_bytes)"));
  }
  if (Status s = store_.free_space().admit(); !s) return done(s);
  auto row = std::make_shared<Attachment>();
  row->id = crypto::random_bytes(store::attachments::kIdBytes);
  row->owner_id = grant.account_id;
  row->size = size;
  row->created_at = clock_.unix_millis();
  row->expires_at = row->created_at + limits.upload_timeout_seconds * 1000;
  store_.writer().submit(
      [row, limits](store::Database& db) -> Status {
        auto usage = store::attachments::usage(db, row->owner_id);
        if (!usage) return usage.status();
        if (usage->uploads_in_progress >= limits.max_uploads_in_progress) {
          return Status(ErrorCode::kTooManyUploads,
                        "finish or delete an upload first: at most " +
                            std::to_string(limits.max_uploads_in_progress) +
                            " unfinished uploads per account");
        }
        if (usage->bytes + row->size > limits.quota_bytes_per_account) {
          return Status(ErrorCode::kQuotaExceeded,
                        "your attachments would take more than the account's quota of " +
                            std::to_string(limits.quota_bytes_per_account) + " bytes (" +
                            std::to_string(usage->bytes) + " in use)");
        }
        return store::attachments::insert(db, *row);
      },
      [this, row, done = std::move(done)](Status s) {
        if (!s) return done(s);
        metrics_.attachments_created.fetch_add(1, std::memory_order_relaxed);
        expiry_.note_deadline(row->expires_at);
        done(state_of(*row, 0));
      },
      store::Writer::Durability::kSynced, store::Writer::Atomicity::kFailsBeforeWriting);
}

Result<Attachment> AttachmentService::find_own(const Grant& grant, std::string_view id) const {
  auto reader = store_.readers().acquire();
  if (!reader) return reader.status();
  auto found = store::attachments::find(**reader, id);
  if (!found) return found.status();
  if (!*found || (*found)->owner_id != grant.account_id ||
      (*found)->expires_at <= clock_.unix_millis()) {
    return not_found();
  }
  return std::move(**found);
}

Result<AttachmentService::State> AttachmentService::state(const Grant& grant,
                                                          std::string_view id) const {
  auto a = find_own(grant, id);
  if (!a) return a.status();
  auto stored = files_.stored_bytes(id);
  if (!stored) return stored.status();
  return state_of(*a, *stored);
}

Result<AttachmentUpload> AttachmentService::begin_upload(const Grant& grant, std::string_view id,
                                                         std::int64_t offset,
                                                         std::int64_t* stored) {
  auto a = find_own(grant, id);
  if (!a) return a.status();
  if (a->complete) {
    return Status(ErrorCode::kAlreadyComplete, "this upload is finished; it takes no more bytes");
  }
  auto lock = locks_.try_lock(id);
  if (!lock) {
    return Status(ErrorCode::kUploadBusy, "another request is uploading this attachment");
  }
  auto bytes = files_.stored_bytes(id);
  if (!bytes) return bytes.status();
  *stored = *bytes;
  if (offset != *bytes) {
    return Status(ErrorCode::kOffsetMismatch,
                  std::to_string(*bytes) + " bytes are stored: continue from there");
  }
  auto fd = files_.open_for_writing(id);
  if (!fd) return fd.status();
  return AttachmentUpload(std::move(*lock), std::move(*fd), a->size, offset, store_.free_space());
}

void AttachmentService::finish(const Grant& grant, std::string_view id, StateDone done) {
  auto a = find_own(grant, id);
  if (!a) return done(a.status());
  if (a->complete) return done(state_of(*a, a->size));
  // No PATCH may add bytes between the size check and the mark.
  auto lock = locks_.try_lock(id);
  if (!lock) return done(Status(ErrorCode::kUploadBusy, "the upload is still receiving bytes"));
  auto stored = files_.stored_bytes(id);
  if (!stored) return done(stored.status());
  if (*stored != a->size) {
    return done(
        Status(ErrorCode::kUploadIncomplete,
               std::to_string(*stored) + " of " + std::to_string(a->size) + " bytes are stored"));
  }
  // Durable before it is complete: a crash may lose the mark, never bytes of a complete
  // attachment.
  if (Status s = files_.make_durable(id); !s) return done(s);
  auto row = std::make_shared<Attachment>(std::move(*a));
  row->complete = true;
  row->expires_at =
      clock_.unix_millis() + settings_.get()->attachments.retention_days * 24 * kMillisPerHour;
  auto held = std::make_shared<UploadLocks::Lock>(std::move(*lock));
  store_.writer().submit(
      [row](store::Database& db) -> Status {
        auto marked = store::attachments::complete(db, row->id, row->expires_at);
        if (!marked) return marked.status();
        if (!*marked) return not_found();  // expired and deleted meanwhile
        return Status::ok();
      },
      [this, row, held, done = std::move(done)](Status s) mutable {
        // Released before the reply, so that the client's next request finds it free.
        held.reset();
        if (!s) return done(s);
        metrics_.attachments_completed.fetch_add(1, std::memory_order_relaxed);
        expiry_.note_deadline(row->expires_at);
        done(state_of(*row, row->size));
      });
}

void AttachmentService::remove(const Grant& grant, std::string_view id,
                               std::function<void(Status)> done) {
  auto a = find_own(grant, id);
  if (!a) return done(a.status());
  auto removed = std::make_shared<bool>(false);
  store_.writer().submit(
      [id = std::string(id), removed](store::Database& db) -> Status {
        auto r = store::attachments::remove(db, id);
        if (!r) return r.status();
        *removed = *r;
        return Status::ok();
      },
      [this, id = std::string(id), removed, done = std::move(done)](Status s) {
        if (!s) return done(s);
        if (!*removed) return done(not_found());
        metrics_.attachments_deleted.fetch_add(1, std::memory_order_relaxed);
        // After the commit: a crash before this leaves an orphan file, which the next
        // start deletes (prepare_files).
        done(files_.remove(id));
      });
}

Result<AttachmentService::Download> AttachmentService::open_download(const Grant& grant,
                                                                     std::string_view id) const {
  if (grant.attachment_id != id) {
    return Status(ErrorCode::kUnauthorized, "this token is for another attachment");
  }
  std::int64_t size = 0;
  {
    auto reader = store_.readers().acquire();
    if (!reader) return reader.status();
    auto found = store::attachments::find(**reader, id);
    if (!found) return found.status();
    if (!*found || !(*found)->available(clock_.unix_millis())) {
      return not_found();
    }
    size = (*found)->size;  // a complete attachment's file holds exactly this
  }
  // Opened after the check: should the attachment expire now, the open file still reads.
  auto fd = files_.open_for_reading(id);
  if (!fd) return fd.status();
  return Download{std::move(*fd), size};
}

Status AttachmentService::prepare_files() {
  if (Status s = files_.create_dir(); !s) return s;
  auto reader = store_.readers().acquire();
  if (!reader) return reader.status();
  auto removed = files_.remove_unknown([&](std::string_view id) -> Result<bool> {
    auto found = store::attachments::find(**reader, id);
    if (!found) return found.status();
    return found->has_value();
  });
  if (!removed) return removed.status();
  if (*removed > 0) {
    spdlog::info("deleted {} attachment files that belonged to no attachment", *removed);
    metrics_.attachments_deleted.fetch_add(static_cast<std::uint64_t>(*removed),
                                           std::memory_order_relaxed);
  }
  return Status::ok();
}

}  // namespace xchat
