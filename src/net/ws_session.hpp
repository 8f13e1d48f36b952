#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <string>

#include "net/connection_limiter.hpp"
#include "net/net_context.hpp"
#include "net/peer.hpp"
#include "service/session_context.hpp"

namespace xchat::net {

// One WebSocket connection at /v1/ws, plain or TLS (`Stream` is beast::tcp_stream or
// beast::ssl_stream<beast::tcp_stream>). Owns itself through the shared pointers held by
// its pending operations; everything it holds is touched only on its strand.
//
// Flow control both ways:
//  - inbound: at most limits.max_requests_in_flight requests dispatched and not yet
//    answered; past that it stops reading until replies catch up (TCP pushes back).
//  - outbound: frames wait in a queue of at most limits.max_outbound_queue_bytes. A
//    client that stops reading until the queue passes that is closed with 1008 and its
//    queue dropped: memory per connection stays bounded whatever the client does.
template <class Stream>
class WsSession final : public Peer, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream&& stream, NetContext& net, ConnectionLimiter::Ticket connection,
            ConnectionLimiter::Ticket address, std::string client_ip);
  ~WsSession() override;

  // Completes the upgrade of `request` and starts reading.
  void run(boost::beast::http::request<boost::beast::http::string_body> request);

  void send(std::shared_ptr<const std::string> frame) override;
  void send_best_effort(std::shared_ptr<const std::string> frame) override;
  void reply(std::string frame) override;
  void close(CloseCode code, std::string_view reason) override;
  boost::asio::any_io_executor executor() override { return ws_.get_executor(); }
  SessionContext& context() override { return context_; }

 private:
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void enqueue(std::shared_ptr<const std::string> frame);
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void schedule_ping();
  void begin_close(CloseCode code, std::string reason, bool drop_queue);
  void start_close_handshake();
  void finish_request();

  boost::beast::websocket::stream<Stream> ws_;
  boost::beast::flat_buffer buffer_;
  NetContext& net_;
  ConnectionLimiter::Ticket connection_ticket_;  // released with the session
  ConnectionLimiter::Ticket address_ticket_;
  SessionContext context_;
  boost::asio::steady_timer ping_timer_;
  boost::asio::steady_timer close_timer_;  // hard deadline for a close that hangs
  // When the peer last sent anything (a message or a control frame): the idle clock.
  std::chrono::steady_clock::time_point last_heard_;

  std::deque<std::shared_ptr<const std::string>> queue_;  // front is being written if writing_
  std::size_t queued_bytes_ = 0;
  std::size_t in_flight_ = 0;  // requests dispatched, reply not yet queued
  bool accepted_ = false;      // the upgrade completed; before it no close handshake may start
  bool writing_ = false;
  bool reading_paused_ = false;
  bool ping_pending_ = false;
  bool closing_ = false;
  bool close_started_ = false;
  CloseCode close_code_ = CloseCode::kGoingAway;
  std::string close_reason_;
};

extern template class WsSession<boost::beast::tcp_stream>;
extern template class WsSession<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

}  // namespace xchat::net
