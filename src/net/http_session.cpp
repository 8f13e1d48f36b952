#include "net/http_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/beast/websocket.hpp>

#include "net/attachment_exchange.hpp"
#include "net/client_address.hpp"
#include "net/http_response.hpp"
#include "net/ws_session.hpp"

namespace xchat::net {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::uint32_t kHeaderLimit = 8 * 1024;
constexpr std::uint64_t kBodyLimit = 8 * 1024;
constexpr std::string_view kWebSocketPath = "/v1/ws";
constexpr std::string_view kAttachmentsPath = "/v1/attachments";

template <class Stream>
constexpr bool kIsTls = !std::is_same_v<Stream, beast::tcp_stream>;

template <class Stream>
Stream make_stream(boost::asio::ip::tcp::socket&& socket, NetContext& net) {
  if constexpr (kIsTls<Stream>) {
    return Stream(std::move(socket), *net.tls);
  } else {
    return Stream(std::move(socket));
  }
}

bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return a == "*" || a == origin; });
}

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(boost::asio::ip::tcp::socket&& socket, NetContext& net,
                                 ConnectionLimiter::Ticket connection,
                                 ConnectionLimiter::Ticket http)
    : stream_(make_stream<Stream>(std::move(socket), net)),
      net_(net),
      connection_ticket_(std::move(connection)),
      http_ticket_(std::move(http)) {
  beast::error_code ec;
  auto endpoint = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
  if (!ec) peer_address_ = endpoint.address();
}

template <class Stream>
void HttpSession<Stream>::run() {
  const auto timeout = std::chrono::seconds(net_.settings.get()->limits.handshake_timeout_seconds);
  beast::get_lowest_layer(stream_).expires_after(timeout);
  if constexpr (kIsTls<Stream>) {
    stream_.async_handshake(
        boost::asio::ssl::stream_base::server,
        beast::bind_front_handler(&HttpSession::on_handshake, this->shared_from_this()));
  } else {
    do_read();
  }
}

template <class Stream>
void HttpSession<Stream>::on_handshake(beast::error_code ec) {
  if (ec) {
    spdlog::debug("TLS handshake with {} failed: {}", peer_address_.to_string(), ec.message());
    return;
  }
  do_read();
}

template <class Stream>
void HttpSession<Stream>::do_read() {
  header_.emplace();
  header_->header_limit(kHeaderLimit);
  // The route sets the body's limit once the header is in: an attachment's may be large.
  header_->body_limit(boost::none);
  beast::get_lowest_layer(stream_).expires_after(
      std::chrono::seconds(net_.settings.get()->limits.handshake_timeout_seconds));
  http::async_read_header(
      stream_, buffer_, *header_,
      beast::bind_front_handler(&HttpSession::on_header, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_header(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream) return do_close();
  if (ec) {
    spdlog::debug("HTTP read from {}: {}", peer_address_.to_string(), ec.message());
    return;
  }
  const std::string_view target = header_->get().target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.starts_with(kAttachmentsPath) &&
      (path.size() == kAttachmentsPath.size() || path[kAttachmentsPath.size()] == '/')) {
    auto exchange =
        std::make_shared<AttachmentExchange<Stream>>(this->shared_from_this(), std::move(*header_));
    header_.reset();
    return exchange->run();
  }
  // Any other request is small: its body is read whole, within the header's deadline.
  parser_.emplace(std::move(*header_));
  header_.reset();
  parser_->body_limit(kBodyLimit);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    spdlog::debug("HTTP read from {}: {}", peer_address_.to_string(), ec.message());
    return;
  }
  Request request = parser_->release();
  const auto config = net_.settings.get();
  const std::string client_ip = limit_key(resolve_client_address(
      peer_address_, request["X-Forwarded-For"], AddressMatcher(config->http.trusted_proxies)));

  auto make = [&request](http::status status, std::string_view content_type, std::string body) {
    return make_response(status, request.version(), request.keep_alive(), content_type,
                         std::move(body));
  };
  auto error = [&](http::status status, std::string_view code, std::string_view message) {
    return make_error(status, request.version(), request.keep_alive(), code, message);
  };

  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (beast::websocket::is_upgrade(request)) {
    if (path != kWebSocketPath) {
      return respond(error(http::status::not_found, "not_found", "WebSocket endpoint is /v1/ws"));
    }
    const auto origin = request[http::field::origin];
    if (!origin.empty() && !origin_allowed(origin, config->http.allowed_origins)) {
      spdlog::info("refused upgrade from {}: origin not allowed", client_ip);
      return respond(error(http::status::forbidden, "origin_not_allowed",
                           "this Origin is not in http.allowed_origins"));
    }
    return upgrade(std::move(request), client_ip);
  }
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    auto res = error(http::status::method_not_allowed, "method_not_allowed", "use GET");
    res.set(http::field::allow, "GET, HEAD");
    return respond(std::move(res));
  }
  if (path == "/healthz") {
    if (net_.healthy())
      return respond(make(http::status::ok, "application/json", "{\"status\":\"ok\"}\n"));
    return respond(make(http::status::service_unavailable, "application/json",
                        "{\"status\":\"unavailable\"}\n"));
  }
  if (path == "/metrics") {
    return respond(make(http::status::ok, "text/plain; version=0.0.4", net_.metrics.render()));
  }
  respond(error(http::status::not_found, "not_found", "no such endpoint"));
}

template <class Stream>
void HttpSession<Stream>::upgrade(Request request, const std::string& client_ip) {
  auto address =
      net_.limiter.admit_ip(client_ip, net_.settings.get()->limits.max_connections_per_ip);
  if (!address) {
    spdlog::info("refused connection from {}: limits.max_connections_per_ip", client_ip);
    auto res = make_error(http::status::service_unavailable, request.version(), false,
                          "too_many_connections", "too many connections from this address");
    res.set(http::field::retry_after, "10");
    return respond(std::move(res));
  }
  // The WebSocket layer's own handshake and idle timeouts take over from here.
  beast::get_lowest_layer(stream_).expires_never();
  std::make_shared<WsSession<Stream>>(std::move(stream_), net_, std::move(connection_ticket_),
                                      std::move(*address), client_ip)
      ->run(std::move(request));
}

template <class Stream>
void HttpSession<Stream>::respond(Response response) {
  const bool keep_alive = response.keep_alive();
  response_ = std::make_shared<Response>(std::move(response));
  http::async_write(
      stream_, *response_,
      beast::bind_front_handler(&HttpSession::on_write, this->shared_from_this(), keep_alive));
}

template <class Stream>
void HttpSession<Stream>::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  response_.reset();
  if (ec) return;
  exchange_done(keep_alive);
}

template <class Stream>
void HttpSession<Stream>::exchange_done(bool keep_alive) {
  if (!keep_alive) return do_close();
  do_read();
}

template <class Stream>
void HttpSession<Stream>::do_close() {
  if constexpr (kIsTls<Stream>) {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
  } else {
    beast::error_code ec;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  }
}

template class HttpSession<beast::tcp_stream>;
template class HttpSession<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace xchat::net
