#pragma once

#include <string>

#include "messenger/attachment_http.hpp"
#include "messenger/sealed_file_reader.hpp"
#include "xchat/status.hpp"

namespace xchat::client {

// Uploads `file`'s ciphertext as a new attachment through `http` (docs/protocol.md §10):
// created with its exact size, sent in one streamed PATCH, finished. After a cut
// connection it asks the server how many bytes it kept and continues from there, reading
// the ciphertext again up to that point (the same bytes: SealedFileReader::restart()),
// within `http`'s retry budget. `progress` hears of the bytes the server has or is being
// sent. Returns the attachment id once the server holds the attachment complete; else the
// last failure (kUnavailable when the server stayed out of reach).
Result<std::string> upload_attachment(AttachmentHttp& http, SealedFileReader& file,
                                      const TransferProgress& progress);

}  // namespace xchat::client
