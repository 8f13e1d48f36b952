#pragma once

#include "crypto/file_attachment.hpp"
#include "messenger/attachment_http.hpp"
#include "messenger/pending_file.hpp"
#include "xchat/status.hpp"

namespace xchat::client {

// Downloads attachment `file.id` through `http`, decrypting as it arrives and writing the
// plaintext into `out` (docs/crypto.md §10). After a cut connection it continues with
// `Range: bytes=RECEIVED-`, within `http`'s retry budget. OK only when the whole file
// arrived and verified (every chunk authentic, the final tag last, the size and digest
// those `file` gives); then commit `out`. Else: kBadSignature when it failed verification
// (the message says how: altered or truncated); the server's refusal; kUnavailable when it
// stayed out of reach; `out`'s write error.
Status download_attachment(AttachmentHttp& http, const FileAttachment& file, PendingFile& out,
                           const TransferProgress& progress);

}  // namespace xchat::client
