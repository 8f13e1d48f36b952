#include "messenger/attachment_download.hpp"

#include <sodium.h>

#include <charconv>
#include <optional>

#include "crypto/attachment_decryptor.hpp"
#include "xchat/error_code.hpp"

namespace xchat::client {

namespace {

// The first byte a 206 answer holds: A in "bytes A-B/SIZE"; nothing when malformed.
std::optional<std::uint64_t> range_start(const std::string& content_range) {
  constexpr std::string_view kUnit = "bytes ";
  if (content_range.rfind(kUnit, 0) != 0) return std::nullopt;
  const char* first = content_range.data() + kUnit.size();
  std::uint64_t start = 0;
  const auto [end, ec] = std::from_chars(first, content_range.data() + content_range.size(), start);
  if (ec != std::errc() || end == content_range.data() + content_range.size() || *end != '-') {
    return std::nullopt;
  }
  return start;
}

// The failure reported for an attachment that is not what its message says.
Status failed_verification(CryptoError error) {
  std::string why;
  switch (error) {
    case CryptoError::kUndecryptable:
      why = "a part of it does not authenticate: the encrypted file was altered";
      break;
    case CryptoError::kTruncated:
      why = "it is truncated: the encrypted file ends before its final chunk";
      break;
    case CryptoError::kDigestMismatch:
      why = "its digest is not the one in its message: the encrypted file was altered";
      break;
    default:
      why = "the encrypted file is malformed";
      break;
  }
  return Status(ErrorCode::kBadSignature, "the file failed verification: " + why);
}

class Download {
 public:
  Download(const FileAttachment& file, PendingFile& out, const TransferProgress& progress)
      : file_(file), out_(out), progress_(progress), decryptor_(file.key, file.plaintext_size) {}

  ~Download() { sodium_memzero(plaintext_.data(), plaintext_.size()); }

  Status run(AttachmentHttp& http) {
    while (decryptor_.received() < file_.ciphertext_size) {
      const std::uint64_t before = decryptor_.received();
      HttpRequest request{"GET", "/" + file_.id, {}, 0, {}};
      if (before > 0)
        request.headers.emplace_back("Range", "bytes=" + std::to_string(before) + "-");
      skip_ = 0;
      first_piece_ = true;
      auto outcome = http.send(request, [this](const HttpResponse& head, std::string_view piece) {
        return take(head, piece);
      });
      if (broken_) return failed_verification(*broken_);
      const bool progressed = decryptor_.received() > before;
      if (outcome && outcome->status / 100 == 2) {
        // A whole answer that ended short of the file: the server has no more of it.
        if (!progressed) break;
        continue;
      }
      // The server's copy ends before the range we still need.
      if (outcome && outcome->status == 416) break;
      if (!AttachmentHttp::retryable(outcome) || !http.again(progressed)) {
        const Status failure = AttachmentHttp::failure(outcome);
        if (decryptor_.received() == 0) return failure;
        return Status(failure.code(), "the download stopped after " +
                                          std::to_string(decryptor_.received()) + " of " +
                                          std::to_string(file_.ciphertext_size) +
                                          " bytes: " + failure.message());
      }
    }
    if (auto error = decryptor_.finish(file_.digest)) return failed_verification(*error);
    return Status::ok();
  }

 private:
  // One piece of an answer's body: decrypted and written, or the reason to stop.
  Status take(const HttpResponse& head, std::string_view piece) {
    if (first_piece_) {
      first_piece_ = false;
      // A 200 holds the whole file again (a server may ignore the range): skip what we have.
      if (head.status == 206) {
        if (range_start(head.header("Content-Range")) != decryptor_.received()) {
          return Status(ErrorCode::kUnavailable, "the server answered another range than asked");
        }
      } else {
        skip_ = decryptor_.received();
      }
    }
    const auto skipped = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, piece.size()));
    piece.remove_prefix(skipped);
    skip_ -= skipped;
    if (auto error = decryptor_.update(piece, plaintext_)) {
      broken_ = error;
      return failed_verification(*error);
    }
    Status written = out_.write(plaintext_);
    sodium_memzero(plaintext_.data(), plaintext_.size());
    plaintext_.clear();
    if (progress_) progress_(decryptor_.received(), file_.ciphertext_size);
    return written;
  }

  const FileAttachment& file_;
  PendingFile& out_;
  const TransferProgress& progress_;
  AttachmentDecryptor decryptor_;
  std::string plaintext_;  // of the chunks the last piece completed
  std::optional<CryptoError> broken_;
  std::uint64_t skip_ = 0;  // bytes of this answer we have already
  bool first_piece_ = true;
};

}  // namespace

Status download_attachment(AttachmentHttp& http, const FileAttachment& file, PendingFile& out,
                           const TransferProgress& progress) {
  return Download(file, out, progress).run(http);
}

}  // namespace xchat::client
