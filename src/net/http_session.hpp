#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>
#include <optional>

#include "net/connection_limiter.hpp"
#include "net/net_context.hpp"

namespace xchat::net {

// One accepted connection before it becomes a WebSocket: the TLS handshake when
// configured, then HTTP/1.1 requests — GET /healthz, GET /metrics, the attachment
// transfers under /v1/attachments (handed to an AttachmentExchange once their header is
// in), and the upgrade at /v1/ws (checked against http.allowed_origins and the per-address
// connection limit). Reading a request header is bounded by
// limits.handshake_timeout_seconds (slowloris) and by a small header limit; other bodies
// than attachments' by a small body limit.
template <class Stream>
class HttpSession final : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  // `connection` holds the connection's place in the total, `http` its place among its
  // peer's connections that are still HTTP (given back once it upgrades).
  HttpSession(boost::asio::ip::tcp::socket&& socket, NetContext& net,
              ConnectionLimiter::Ticket connection, ConnectionLimiter::Ticket http);

  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  void run();

  // For the AttachmentExchange that holds this session between a request's header and the
  // end of its response.
  Stream& stream() { return stream_; }
  boost::beast::flat_buffer& buffer() { return buffer_; }
  NetContext& net() { return net_; }
  // Sends `response`; then reads the next request, or closes when it says so.
  void respond(Response response);
  // The exchange wrote its own response: read the next request, or close.
  void exchange_done(bool keep_alive);

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  void on_handshake(boost::beast::error_code ec);
  void do_read();
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void upgrade(Request request, const std::string& client_ip);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t bytes);
  void do_close();

  Stream stream_;
  boost::beast::flat_buffer buffer_;
  NetContext& net_;
  ConnectionLimiter::Ticket connection_ticket_;
  ConnectionLimiter::Ticket http_ticket_;  // released with this object, so at the upgrade
  boost::asio::ip::address peer_address_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> header_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<Response> response_;  // alive until its write completes
};

extern template class HttpSession<boost::beast::tcp_stream>;
extern template class HttpSession<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

}  // namespace xchat::net
