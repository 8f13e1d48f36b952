#include "messenger/attachment_upload.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "crypto/file_attachment.hpp"
#include "xchat/decimal.hpp"
#include "xchat/error_code.hpp"

namespace xchat::client {

namespace {

using nlohmann::json;

json body_of(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

// An offset not known: the server must be asked.
constexpr std::uint64_t kUnknown = UINT64_MAX;

// How many bytes of the `size` the server holds, as an answer says it (the Upload-Offset
// header, else the body's `offset`); kUnknown when it does not say, or says too many.
std::uint64_t offset_of(const HttpResponse& r, std::uint64_t size) {
  const std::string header = r.header("Upload-Offset");
  std::uint64_t offset = kUnknown;
  if (const auto stated = parse_decimal(header)) offset = static_cast<std::uint64_t>(*stated);
  const json body = body_of(r);
  if (offset == kUnknown && body.is_object() && body.contains("offset") &&
      body["offset"].is_number_unsigned()) {
    offset = body["offset"].get<std::uint64_t>();
  }
  return offset <= size ? offset : kUnknown;
}

Status lost_track() {
  return Status(ErrorCode::kInternal,
                "the server's answer does not say how much of the upload it has");
}

class Upload {
 public:
  Upload(AttachmentHttp& http, SealedFileReader& file, const TransferProgress& progress)
      : http_(http), file_(file), progress_(progress), size_(file.ciphertext_size()) {}

  Result<std::string> run() {
    if (Status s = create(); !s) return s;
    // What the server holds, known until an attempt fails without saying.
    std::uint64_t offset = 0;
    for (;;) {
      Result<HttpResponse> outcome = Status::ok();
      std::uint64_t sent = 0;
      if (offset == kUnknown) {
        outcome = http_.send({"GET", "/" + id_ + "/upload", {}, 0, {}});
        if (outcome && outcome->status == 200) {
          if ((offset = offset_of(*outcome, size_)) == kUnknown) return lost_track();
          continue;
        }
      } else if (offset < size_) {
        outcome = patch(offset, sent);
        if (outcome && outcome->status == 204) {
          if ((offset = offset_of(*outcome, size_)) == kUnknown) return lost_track();
          continue;
        }
      } else {
        outcome = http_.send({"POST", "/" + id_ + "/finish", {}, 0, {}});
        if (outcome && outcome->status == 200) return id_;
      }
      if (!AttachmentHttp::retryable(outcome) || !http_.again(sent > 0)) {
        return AttachmentHttp::failure(outcome);
      }
      // A conflict tells where the server is (offset_mismatch, upload_incomplete); any
      // other failure leaves it to ask.
      offset = outcome ? offset_of(*outcome, size_) : kUnknown;
    }
  }

 private:
  Status create() {
    for (;;) {
      auto outcome = http_.send({"POST", "", {{"Upload-Length", std::to_string(size_)}}, 0, {}});
      if (outcome && outcome->status == 201) {
        const json body = body_of(*outcome);
        if (body.is_object() && body.contains("id") && body["id"].is_string()) {
          id_ = body["id"].get<std::string>();
        }
        if (!FileAttachment::valid_id(id_)) {
          return Status(ErrorCode::kInternal, "the server did not say which attachment it made");
        }
        return Status::ok();
      }
      if (!AttachmentHttp::retryable(outcome) || !http_.again(false)) {
        return AttachmentHttp::failure(outcome);
      }
    }
  }

  // One PATCH of everything from `offset` on; `sent` counts the bytes handed to the
  // connection.
  Result<HttpResponse> patch(std::uint64_t offset, std::uint64_t& sent) {
    if (Status s = file_.restart(); !s) return s;
    std::uint64_t skip = offset;
    HttpRequest request{"PATCH",
                        "/" + id_,
                        {{"Upload-Offset", std::to_string(offset)},
                         {"Content-Type", "application/offset+octet-stream"}},
                        size_ - offset,
                        {}};
    request.body = [&]() -> Result<std::string_view> {
      for (;;) {
        auto piece = file_.next();
        if (!piece) return piece;
        // The bytes before the offset are made again only to reach the state after them.
        if (skip >= piece->size()) {
          skip -= piece->size();
          continue;
        }
        piece->remove_prefix(static_cast<std::size_t>(skip));
        skip = 0;
        sent += piece->size();
        if (progress_) progress_(offset + sent, size_);
        return piece;
      }
    };
    return http_.send(std::move(request));
  }

  AttachmentHttp& http_;
  SealedFileReader& file_;
  const TransferProgress& progress_;
  const std::uint64_t size_;
  std::string id_;
};

}  // namespace

Result<std::string> upload_attachment(AttachmentHttp& http, SealedFileReader& file,
                                      const TransferProgress& progress) {
  return Upload(http, file, progress).run();
}

}  // namespace xchat::client
