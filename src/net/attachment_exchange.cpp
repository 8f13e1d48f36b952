#include "net/attachment_exchange.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "net/byte_range.hpp"
#include "xchat/decimal.hpp"
#include "xchat/hex.hpp"

namespace xchat::net {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::string_view kCollection = "/v1/attachments";
constexpr std::size_t kMaxTokenChars = 256;

http::status http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
      return http::status::bad_request;
    case ErrorCode::kUnauthorized:
      return http::status::unauthorized;
    case ErrorCode::kNotFound:
      return http::status::not_found;
    case ErrorCode::kOffsetMismatch:
    case ErrorCode::kUploadBusy:
    case ErrorCode::kUploadIncomplete:
    case ErrorCode::kAlreadyComplete:
      return http::status::conflict;
    case ErrorCode::kFileTooLarge:
      return http::status::payload_too_large;
    case ErrorCode::kRangeNotSatisfiable:
      return http::status::range_not_satisfiable;
    case ErrorCode::kTooManyUploads:
      return http::status::too_many_requests;
    case ErrorCode::kQuotaExceeded:
    case ErrorCode::kStorageFull:
      return http::status::insufficient_storage;
    case ErrorCode::kUnavailable:
      return http::status::service_unavailable;
    default:
      return http::status::internal_server_error;
  }
}

// What a path under /v1/attachments names.
struct Route {
  enum class Kind { kCollection, kItem, kUpload, kFinish, kNone };
  Kind kind = Kind::kNone;
  std::string id;  // raw
};

Route route_of(std::string_view path) {
  if (path == kCollection) return {Route::Kind::kCollection, {}};
  if (!path.starts_with(kCollection) || path.size() <= kCollection.size() ||
      path[kCollection.size()] != '/') {
    return {};
  }
  std::string_view rest = path.substr(kCollection.size() + 1);
  const auto slash = rest.find('/');
  const std::string_view hex = rest.substr(0, slash);
  const std::string_view tail = slash == std::string_view::npos ? "" : rest.substr(slash);
  auto id = hex_decode(hex);
  if (!id || id->size() != store::attachments::kIdBytes) return {};
  if (tail.empty()) return {Route::Kind::kItem, std::move(*id)};
  if (tail == "/upload") return {Route::Kind::kUpload, std::move(*id)};
  if (tail == "/finish") return {Route::Kind::kFinish, std::move(*id)};
  return {};
}

}  // namespace

template <class Stream>
AttachmentExchange<Stream>::AttachmentExchange(std::shared_ptr<HttpSession<Stream>> session,
                                               HeaderParser&& header)
    : session_(std::move(session)),
      service_(session_->net().attachments),
      parser_(std::in_place, std::move(header)),
      version_(parser_->get().version()),
      keep_alive_(parser_->get().keep_alive()),
      body_pending_(!parser_->is_done()) {}

template <class Stream>
AttachmentExchange<Stream>::~AttachmentExchange() {
  if (counted_) {
    session_->net().metrics.attachment_transfers.fetch_sub(1, std::memory_order_relaxed);
  }
}

template <class Stream>
void AttachmentExchange<Stream>::run() {
  const auto& request = parser_->get();
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  Route route = route_of(path);
  id_ = std::move(route.id);
  const http::verb method = request.method();
  auto not_allowed = [&](std::string_view allow) {
    auto res = make_error(http::status::method_not_allowed, version_, reusable(),
                          "method_not_allowed", "this path takes " + std::string(allow));
    res.set(http::field::allow, allow);
    reply(std::move(res));
  };
  if (route.kind == Route::Kind::kNone) {
    return fail(Status(ErrorCode::kNotFound, "no such endpoint"));
  }
  // Only PATCH takes a body.
  if (body_pending_ && !(route.kind == Route::Kind::kItem && method == http::verb::patch)) {
    return fail(Status(ErrorCode::kBadRequest, "this request takes no body"));
  }
  switch (route.kind) {
    case Route::Kind::kCollection:
      if (method == http::verb::post) return create();
      return not_allowed("POST");
    case Route::Kind::kItem:
      if (method == http::verb::patch) return append();
      if (method == http::verb::get) return download(false);
      if (method == http::verb::head) return download(true);
      if (method == http::verb::delete_) return remove();
      return not_allowed("GET, HEAD, PATCH, DELETE");
    case Route::Kind::kUpload:
      if (method == http::verb::get) return report_state();
      return not_allowed("GET");
    case Route::Kind::kFinish:
      if (method == http::verb::post) return finish();
      return not_allowed("POST");
    case Route::Kind::kNone:
      break;
  }
}

template <class Stream>
std::optional<AttachmentService::Grant> AttachmentExchange<Stream>::authorize(Grant::Scope scope) {
  constexpr std::string_view kBearer = "Bearer ";
  const std::string_view header = parser_->get()[http::field::authorization];
  Status refused(ErrorCode::kUnauthorized,
                 "send 'Authorization: Bearer TOKEN' with a token from the WebSocket session");
  if (!header.starts_with(kBearer) || header.size() - kBearer.size() > kMaxTokenChars) {
    fail(refused);
    return std::nullopt;
  }
  auto grant = service_.authorize(header.substr(kBearer.size()), scope);
  if (!grant) {
    fail(grant.status());
    return std::nullopt;
  }
  return *grant;
}

template <class Stream>
template <class Fn>
void AttachmentExchange<Stream>::on_strand(Fn&& fn) {
  boost::asio::post(session_->stream().get_executor(), std::forward<Fn>(fn));
}

template <class Stream>
void AttachmentExchange<Stream>::create() {
  auto grant = authorize(Grant::Scope::kUpload);
  if (!grant) return;
  const auto size = parse_decimal(parser_->get()["Upload-Length"]);
  if (!size) {
    return fail(
        Status(ErrorCode::kBadRequest, "send the attachment's size in bytes as 'Upload-Length'"));
  }
  service_.create(*grant, *size, [self = this->shared_from_this()](auto state) {
    self->on_strand([self, state = std::move(state)] {
      if (!state) return self->fail(state.status());
      self->reply_state(http::status::created, *state);
    });
  });
}

template <class Stream>
void AttachmentExchange<Stream>::report_state() {
  auto grant = authorize(Grant::Scope::kUpload);
  if (!grant) return;
  auto state = service_.state(*grant, id_);
  if (!state) return fail(state.status());
  reply_state(http::status::ok, *state);
}

template <class Stream>
void AttachmentExchange<Stream>::append() {
  auto grant = authorize(Grant::Scope::kUpload);
  if (!grant) return;
  const auto offset = parse_decimal(parser_->get()["Upload-Offset"]);
  if (!offset) {
    return fail(
        Status(ErrorCode::kBadRequest, "send the offset the body starts at as 'Upload-Offset'"));
  }
  std::int64_t stored = 0;
  auto upload = service_.begin_upload(*grant, id_, *offset, &stored);
  if (!upload) {
    if (upload.status().code() == ErrorCode::kOffsetMismatch) {
      auto res = make_error(http::status::conflict, version_, reusable(), "offset_mismatch",
                            upload.status().message(), "\"offset\":" + std::to_string(stored));
      res.set("Upload-Offset", std::to_string(stored));
      return reply(std::move(res));
    }
    return fail(upload.status());
  }
  upload_.emplace(std::move(*upload));
  const auto length = parser_->content_length();
  if (length && *offset + static_cast<std::int64_t>(*length) > upload_->size()) {
    const std::string size = std::to_string(upload_->size());
    // Let go of the upload before the reply goes out: the client may retry on another
    // connection as soon as it reads the 413, and must not find the upload busy.
    upload_.reset();
    return fail(Status(ErrorCode::kFileTooLarge,
                       "the body goes past the attachment's declared size of " + size + " bytes"));
  }
  counted_ = true;
  session_->net().metrics.attachment_transfers.fetch_add(1, std::memory_order_relaxed);
  buffer_ = std::make_unique<char[]>(kChunkBytes);
  if (!length) {
    parser_->body_limit(boost::none);  // bounded by the declared size, checked as bytes arrive
    // Beast reads at most what the buffer has room for: make room for its largest read.
    session_->buffer().reserve(kChunkBytes);
    return read_body();
  }
  // What came in with the header is the body's start; the rest bypasses the parser, whose
  // small reads into the session's buffer would cost a system call per 512 bytes.
  remaining_ = *length;
  auto& pending = session_->buffer();
  const std::size_t first = std::min<std::size_t>(pending.size(), remaining_);
  if (first > 0) {
    const bool ok = store(static_cast<const char*>(pending.data().data()), first);
    pending.consume(first);
    if (!ok) return;
    remaining_ -= first;
  }
  read_raw();
}

template <class Stream>
bool AttachmentExchange<Stream>::store(const char* data, std::size_t n) {
  if (Status s = upload_->append(data, n); !s) {
    // What is stored stays (but for a body past the size): the client resumes from there.
    const std::string stored = "\"offset\":" + std::to_string(upload_->offset());
    upload_.reset();
    fail(s, stored);
    return false;
  }
  session_->net().metrics.attachment_bytes_received.fetch_add(n, std::memory_order_relaxed);
  return true;
}

template <class Stream>
void AttachmentExchange<Stream>::uploaded() {
  body_pending_ = false;
  auto res = make_no_content(version_, keep_alive_);
  res.set("Upload-Offset", std::to_string(upload_->offset()));
  upload_.reset();  // lets go of the upload before the client can send its next request
  reply(std::move(res));
}

template <class Stream>
void AttachmentExchange<Stream>::read_raw() {
  if (remaining_ == 0) return uploaded();
  arm_idle_timer();
  session_->stream().async_read_some(
      boost::asio::buffer(buffer_.get(), std::min<std::uint64_t>(remaining_, kChunkBytes)),
      beast::bind_front_handler(&AttachmentExchange::on_raw, this->shared_from_this()));
}

template <class Stream>
void AttachmentExchange<Stream>::on_raw(beast::error_code ec, std::size_t bytes) {
  if (bytes > 0) {
    if (!store(buffer_.get(), bytes)) return;
    remaining_ -= bytes;
  }
  if (ec) {
    // A cut connection or a stalled client: the bytes that arrived stay, and the client
    // resumes from them on a new connection.
    spdlog::debug("attachment upload interrupted at {} bytes: {}", upload_->offset(), ec.message());
    return;
  }
  read_raw();
}

template <class Stream>
void AttachmentExchange<Stream>::read_body() {
  if (parser_->is_done()) return uploaded();
  arm_idle_timer();
  auto& body = parser_->get().body();
  body.data = buffer_.get();
  body.size = kChunkBytes;
  http::async_read(
      session_->stream(), session_->buffer(), *parser_,
      beast::bind_front_handler(&AttachmentExchange::on_body, this->shared_from_this()));
}

template <class Stream>
void AttachmentExchange<Stream>::on_body(beast::error_code ec, std::size_t) {
  if (ec == http::error::need_buffer) ec = {};
  const std::size_t got = kChunkBytes - parser_->get().body().size;
  if (got > 0 && !store(buffer_.get(), got)) return;
  if (ec) {
    spdlog::debug("attachment upload interrupted at {} bytes: {}", upload_->offset(), ec.message());
    return;
  }
  read_body();
}

template <class Stream>
void AttachmentExchange<Stream>::finish() {
  auto grant = authorize(Grant::Scope::kUpload);
  if (!grant) return;
  service_.finish(*grant, id_, [self = this->shared_from_this(), grant = *grant](auto state) {
    self->on_strand([self, grant, state = std::move(state)] {
      if (state) return self->reply_state(http::status::ok, *state);
      if (state.status().code() != ErrorCode::kUploadIncomplete) return self->fail(state.status());
      auto now = self->service_.state(grant, self->id_);
      self->fail(state.status(), "\"offset\":" + std::to_string(now ? now->offset : 0));
    });
  });
}

template <class Stream>
void AttachmentExchange<Stream>::remove() {
  auto grant = authorize(Grant::Scope::kUpload);
  if (!grant) return;
  service_.remove(*grant, id_, [self = this->shared_from_this()](Status s) {
    self->on_strand([self, s = std::move(s)] {
      if (!s) return self->fail(s);
      self->reply(make_no_content(self->version_, self->reusable()));
    });
  });
}

template <class Stream>
void AttachmentExchange<Stream>::download(bool head_only) {
  auto grant = authorize(Grant::Scope::kDownload);
  if (!grant) return;
  auto download = service_.open_download(*grant, id_);
  if (!download) return fail(download.status());
  const std::int64_t size = download->size;
  const RangeRequest range = parse_range(parser_->get()[http::field::range], size);
  if (range.kind == RangeRequest::Kind::kUnsatisfiable) {
    auto res = make_error(http::status::range_not_satisfiable, version_, reusable(),
                          "range_not_satisfiable",
                          "the range starts at or past the end of the attachment");
    res.set(http::field::content_range, "bytes */" + std::to_string(size));
    return reply(std::move(res));
  }
  const bool part = range.kind == RangeRequest::Kind::kPart;
  position_ = part ? range.range.first : 0;
  end_ = part ? range.range.last + 1 : size;
  download_.emplace(std::move(*download));

  head_.emplace(part ? http::status::partial_content : http::status::ok, version_);
  set_common_fields(*head_);
  head_->set(http::field::content_type, "application/octet-stream");
  head_->set(http::field::accept_ranges, "bytes");
  head_->set(http::field::etag, "\"" + hex_encode(id_) + "\"");
  if (part) {
    head_->set(http::field::content_range, "bytes " + std::to_string(range.range.first) + "-" +
                                               std::to_string(range.range.last) + "/" +
                                               std::to_string(size));
  }
  head_->content_length(static_cast<std::uint64_t>(end_ - position_));
  head_->keep_alive(keep_alive_);
  if (head_only) end_ = position_;
  serializer_.emplace(*head_);
  counted_ = true;
  session_->net().metrics.attachment_transfers.fetch_add(1, std::memory_order_relaxed);
  arm_idle_timer();
  http::async_write_header(
      session_->stream(), *serializer_,
      beast::bind_front_handler(&AttachmentExchange::on_head_written, this->shared_from_this()));
}

template <class Stream>
void AttachmentExchange<Stream>::on_head_written(beast::error_code ec, std::size_t) {
  if (ec) return;
  buffer_ = std::make_unique<char[]>(kChunkBytes);
  write_part();
}

template <class Stream>
void AttachmentExchange<Stream>::write_part() {
  if (position_ >= end_) return session_->exchange_done(keep_alive_);
  const auto want = static_cast<std::size_t>(
      std::min<std::int64_t>(end_ - position_, static_cast<std::int64_t>(kChunkBytes)));
  ssize_t got = 0;
  do {
    got = ::pread(download_->fd.get(), buffer_.get(), want, position_);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    // The status line is out: all that is left is to end the connection short, which the
    // client sees as a truncated body (and resumes with a Range).
    spdlog::error("reading attachment {}: {}", hex_encode(id_),
                  got < 0 ? std::strerror(errno) : "file shorter than its size");
    return;
  }
  arm_idle_timer();
  boost::asio::async_write(
      session_->stream(), boost::asio::buffer(buffer_.get(), static_cast<std::size_t>(got)),
      beast::bind_front_handler(&AttachmentExchange::on_part, this->shared_from_this()));
}

template <class Stream>
void AttachmentExchange<Stream>::on_part(beast::error_code ec, std::size_t bytes) {
  if (ec) return;
  position_ += static_cast<std::int64_t>(bytes);
  session_->net().metrics.attachment_bytes_sent.fetch_add(bytes, std::memory_order_relaxed);
  write_part();
}

template <class Stream>
void AttachmentExchange<Stream>::reply_state(http::status status,
                                             const AttachmentService::State& state) {
  nlohmann::json body = {{"id", hex_encode(state.id)},
                         {"size", state.size},
                         {"offset", state.offset},
                         {"complete", state.complete},
                         {"expires_at", state.expires_at}};
  auto res = make_response(status, version_, reusable(), "application/json", body.dump() + "\n");
  if (status == http::status::created) {
    res.set(http::field::location, std::string(kCollection) + "/" + hex_encode(state.id));
  }
  reply(std::move(res));
}

template <class Stream>
void AttachmentExchange<Stream>::fail(const Status& status, std::string_view extra) {
  session_->net().metrics.count_error(status.code());
  const http::status code = http_status(status.code());
  std::string_view message = status.message();
  if (code == http::status::internal_server_error) {
    spdlog::error("attachment request failed: {}", status.message());
    message = "internal server error";
  }
  const ErrorCode wire =
      code == http::status::internal_server_error ? ErrorCode::kInternal : status.code();
  auto res = make_error(code, version_, reusable(), to_string(wire), message, extra);
  if (code == http::status::unauthorized) res.set(http::field::www_authenticate, "Bearer");
  reply(std::move(res));
}

template <class Stream>
void AttachmentExchange<Stream>::reply(HttpResponse response) {
  session_->respond(std::move(response));
}

template <class Stream>
void AttachmentExchange<Stream>::arm_idle_timer() {
  beast::get_lowest_layer(session_->stream())
      .expires_after(
          std::chrono::seconds(session_->net().settings.get()->attachments.idle_timeout_seconds));
}

template <class Stream>
bool AttachmentExchange<Stream>::reusable() const {
  return keep_alive_ && !body_pending_;
}

template class AttachmentExchange<beast::tcp_stream>;
template class AttachmentExchange<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace xchat::net
