#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>
#include <optional>
#include <string>

#include "net/http_response.hpp"
#include "net/http_session.hpp"
#include "service/attachment_service.hpp"

namespace xchat::net {

// One HTTP request under /v1/attachments, from its header (read by the HttpSession) to
// the end of its response; then the session reads the next request. Bodies stream through
// one fixed buffer between the socket and the attachment's file, so a transfer of any
// size holds kChunkBytes of memory. Holds the session while it runs; runs on the
// connection's strand.
template <class Stream>
class AttachmentExchange final : public std::enable_shared_from_this<AttachmentExchange<Stream>> {
 public:
  static constexpr std::size_t kChunkBytes = 256 * 1024;

  using HeaderParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;

  AttachmentExchange(std::shared_ptr<HttpSession<Stream>> session, HeaderParser&& header);
  ~AttachmentExchange();

  void run();

 private:
  using Grant = AttachmentService::Grant;

  void create();
  void report_state();
  void append();
  void finish();
  void remove();
  void download(bool head_only);

  // A body of known length is read straight from the socket into buffer_, a chunked one
  // through the parser (which must take the chunk framing off).
  void read_body();
  void on_body(boost::beast::error_code ec, std::size_t bytes);
  void read_raw();
  void on_raw(boost::beast::error_code ec, std::size_t bytes);
  // Stores `n` bytes of the body; false after answering an error.
  bool store(const char* data, std::size_t n);
  // The body is in: 204 with the new offset.
  void uploaded();
  void on_head_written(boost::beast::error_code ec, std::size_t bytes);
  void write_part();
  void on_part(boost::beast::error_code ec, std::size_t bytes);

  // The grant of the request's bearer token, or nothing after answering 401.
  std::optional<Grant> authorize(Grant::Scope scope);
  // Answers with the state of an upload: `status` and its JSON.
  void reply_state(boost::beast::http::status status, const AttachmentService::State& state);
  // Answers an error; `extra` as for make_error.
  void fail(const Status& status, std::string_view extra = {});
  void reply(HttpResponse response);
  // Runs `fn` on the connection's strand (the way back from the store writer).
  template <class Fn>
  void on_strand(Fn&& fn);
  // Before each body read or write: a transfer may take long, but not stall long.
  void arm_idle_timer();
  // Whether the connection can carry another request after this one's response: the
  // client wants it and no unread body is left in the way.
  bool reusable() const;

  std::shared_ptr<HttpSession<Stream>> session_;
  AttachmentService& service_;
  // Holds the request's header, and reads a PATCH body through buffer_. (Beast parsers
  // cannot be moved, only converted to another body type: hence the optional.)
  std::optional<boost::beast::http::request_parser<boost::beast::http::buffer_body>> parser_;
  const unsigned version_;
  const bool keep_alive_;
  bool body_pending_;     // the request has a body not read yet
  std::string id_;        // raw attachment id from the path
  bool counted_ = false;  // in the attachment_transfers gauge

  std::unique_ptr<char[]> buffer_;
  std::optional<AttachmentUpload> upload_;
  std::optional<AttachmentService::Download> download_;
  std::uint64_t remaining_ = 0;  // bytes of a known-length body still to read
  std::int64_t position_ = 0;    // next byte of the download to send
  std::int64_t end_ = 0;         // one past the last byte to send
  std::optional<boost::beast::http::response<boost::beast::http::empty_body>> head_;
  std::optional<boost::beast::http::response_serializer<boost::beast::http::empty_body>>
      serializer_;
};

extern template class AttachmentExchange<boost::beast::tcp_stream>;
extern template class AttachmentExchange<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

}  // namespace xchat::net
