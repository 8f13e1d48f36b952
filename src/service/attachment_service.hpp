#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "app/settings.hpp"
#include "crypto/transfer_token.hpp"
#include "service/attachment_upload.hpp"
#include "service/call.hpp"
#include "service/clock.hpp"
#include "service/expiry_scheduler.hpp"
#include "store/attachment_files.hpp"
#include "store/attachments.hpp"
#include "store/store.hpp"

namespace xchat {

// Attachments: ciphertext files that messages refer to by id. Over the WebSocket a
// session gets short-lived transfer tokens; over HTTP (net::AttachmentExchange) the
// bearer of a token creates an upload within the account's limits, streams its bytes,
// finishes it, deletes it, or downloads one it was granted. The server checks sizes,
// quotas and rights; what the bytes are, it cannot tell. Thread-safe: WebSocket handlers
// run on their session's strand, HTTP ones on their connection's.
class AttachmentService {
 public:
  using Grant = crypto::TransferGrant;

  // An attachment as its uploader sees it.
  struct State {
    std::string id;  // raw
    std::int64_t size = 0;
    std::int64_t offset = 0;  // bytes stored so far
    bool complete = false;
    std::int64_t expires_at = 0;
  };
  // Runs on the store writer's thread: post to your own executor.
  using StateDone = std::function<void(Result<State>)>;

  struct Download {
    store::UniqueFd fd;
    std::int64_t size = 0;
  };

  AttachmentService(const Settings& settings, store::Store& store, const Clock& clock,
                    Metrics& metrics, ExpiryScheduler& expiry);

  // attachment.upload_token and attachment.download_token.
  void upload_token(const Call& call);
  void download_token(const Call& call);

  // The grant a bearer token carries; kUnauthorized unless it is valid, unexpired and of
  // `scope`.
  Result<Grant> authorize(std::string_view token, Grant::Scope scope) const;

  // POST /v1/attachments: a new upload of `size` bytes, within the account's limits.
  void create(const Grant& grant, std::int64_t size, StateDone done);
  // GET /v1/attachments/ID/upload.
  Result<State> state(const Grant& grant, std::string_view id) const;
  // PATCH /v1/attachments/ID from byte `offset` on. On kOffsetMismatch, `*stored` is the
  // offset to continue from.
  Result<AttachmentUpload> begin_upload(const Grant& grant, std::string_view id,
                                        std::int64_t offset, std::int64_t* stored);
  // POST /v1/attachments/ID/finish: syncs the file, then marks the attachment complete.
  // Blocks on the sync (short: uploads start writeback as they go).
  void finish(const Grant& grant, std::string_view id, StateDone done);
  // DELETE /v1/attachments/ID; `done` runs on the writer thread.
  void remove(const Grant& grant, std::string_view id, std::function<void(Status)> done);
  // GET /v1/attachments/ID: the complete attachment the download grant names.
  Result<Download> open_download(const Grant& grant, std::string_view id) const;

  // At startup, before the listener opens: creates the directory and deletes files that
  // belong to no attachment (a crash between a row's deletion and its file's).
  Status prepare_files();

 private:
  // The caller's attachment `id`, unexpired; kNotFound for anything else.
  Result<store::attachments::Attachment> find_own(const Grant& grant, std::string_view id) const;

  const Settings& settings_;
  store::Store& store_;
  const Clock& clock_;
  Metrics& metrics_;
  ExpiryScheduler& expiry_;
  const store::AttachmentFiles files_;
  crypto::TransferTokens tokens_;
  UploadLocks locks_;
};

}  // namespace xchat
