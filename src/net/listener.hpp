#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "net/net_context.hpp"
#include "xchat/status.hpp"

namespace xchat::net {

// Accepts TCP connections, each onto its own strand, and hands them to an HttpSession
// (TLS when NetContext::tls is set). Connections over limits.max_connections, or over
// limits.max_connections_per_ip of one peer's connections still in HTTP, are closed at once. Runs on the io_context; stop() is safe from any thread.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens; the error names the address when that fails.
  static Result<std::shared_ptr<Listener>> open(boost::asio::io_context& ioc,
                                                boost::asio::ip::tcp::endpoint endpoint,
                                                NetContext& net);

  boost::asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }
  void run();
  void stop();

 private:
  Listener(boost::asio::io_context& ioc, NetContext& net);
  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  NetContext& net_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;  // after accept errors such as EMFILE
  boost::asio::ip::tcp::endpoint endpoint_;
};

}  // namespace xchat::net
