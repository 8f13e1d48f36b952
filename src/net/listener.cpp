#include "net/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "net/address_matcher.hpp"
#include "net/client_address.hpp"
#include "net/http_session.hpp"

namespace xchat::net {

namespace beast = boost::beast;
using boost::asio::ip::tcp;

namespace {

// The connection's place among its peer's connections that are still HTTP; nullopt when
// the peer has limits.max_connections_per_ip of them already. A trusted proxy's are not
// counted: it speaks for many clients and finishes the requests it forwards, and each of
// those clients is counted at its upgrade, by X-Forwarded-For.
std::optional<ConnectionLimiter::Ticket> admit_http(NetContext& net, const tcp::socket& socket) {
  beast::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return std::nullopt;  // already gone
  const auto config = net.settings.get();
  if (AddressMatcher(config->http.trusted_proxies).contains(peer.address())) {
    return ConnectionLimiter::Ticket();
  }
  return net.limiter.admit_http(limit_key(peer.address()), config->limits.max_connections_per_ip);
}

}  // namespace

Listener::Listener(boost::asio::io_context& ioc, NetContext& net)
    : ioc_(ioc),
      net_(net),
      acceptor_(boost::asio::make_strand(ioc)),
      backoff_(acceptor_.get_executor()) {}

Result<std::shared_ptr<Listener>> Listener::open(boost::asio::io_context& ioc,
                                                 tcp::endpoint endpoint, NetContext& net) {
  std::shared_ptr<Listener> l(new Listener(ioc, net));
  beast::error_code ec;
  const std::string where = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  l->acceptor_.open(endpoint.protocol(), ec);
  if (!ec) l->acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) l->acceptor_.bind(endpoint, ec);
  if (!ec) l->acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (!ec) l->endpoint_ = l->acceptor_.local_endpoint(ec);
  if (ec) return Status(ErrorCode::kInternal, "cannot listen on " + where + ": " + ec.message());
  return l;
}

void Listener::run() {
  boost::asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void Listener::stop() {
  boost::asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
    self->backoff_.cancel();
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(boost::asio::make_strand(ioc_),
                         beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors or memory: retrying at once would spin. Pause, then go on.
    spdlog::warn("accept failed: {}; pausing 100 ms", ec.message());
    backoff_.expires_after(std::chrono::milliseconds(100));
    backoff_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->do_accept();
    });
    return;
  }
  auto ticket = net_.limiter.admit(net_.settings.get()->limits.max_connections);
  auto http = ticket ? admit_http(net_, socket) : std::nullopt;
  if (http) {
    socket.set_option(tcp::no_delay(true), ec);
    if (net_.tls != nullptr) {
      std::make_shared<HttpSession<beast::ssl_stream<beast::tcp_stream>>>(
          std::move(socket), net_, std::move(*ticket), std::move(*http))
          ->run();
    } else {
      std::make_shared<HttpSession<beast::tcp_stream>>(std::move(socket), net_, std::move(*ticket),
                                                        std::move(*http))
          ->run();
    }
  }
  do_accept();
}

}  // namespace xchat::net
