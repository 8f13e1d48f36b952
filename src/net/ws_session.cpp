#include "net/ws_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "proto/reply.hpp"
#include "service/dispatcher.hpp"
#include "xchat/version.hpp"

namespace xchat::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

// How long a close may take (the peer's close frame, or our queued frames draining)
// before the socket is torn down regardless.
constexpr std::chrono::seconds kCloseDeadline{5};

bool is_quiet_error(beast::error_code ec) {
  return ec == websocket::error::closed || ec == boost::asio::error::operation_aborted ||
         ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset ||
         ec == beast::error::timeout || ec == boost::asio::error::broken_pipe ||
         ec == boost::asio::ssl::error::stream_truncated;
}

}  // namespace

template <class Stream>
WsSession<Stream>::WsSession(Stream&& stream, NetContext& net, ConnectionLimiter::Ticket connection,
                             ConnectionLimiter::Ticket address, std::string client_ip)
    : ws_(std::move(stream)),
      net_(net),
      connection_ticket_(std::move(connection)),
      address_ticket_(std::move(address)),
      ping_timer_(ws_.get_executor()),
      close_timer_(ws_.get_executor()) {
  context_.client_ip = std::move(client_ip);
  net_.metrics.websocket_sessions.fetch_add(1, std::memory_order_relaxed);
}

template <class Stream>
WsSession<Stream>::~WsSession() {
  net_.registry.remove(this);
  if (context_.principal) {
    net_.registry.unbind_device({context_.principal->account_id, context_.principal->device_id},
                                this);
    net_.metrics.sessions_authenticated.fetch_sub(1, std::memory_order_relaxed);
  }
  net_.metrics.websocket_sessions.fetch_sub(1, std::memory_order_relaxed);
}

template <class Stream>
void WsSession<Stream>::run(beast::http::request<beast::http::string_body> request) {
  const auto config = net_.settings.get();
  const auto& limits = config->limits;
  websocket::stream_base::timeout timeout;
  timeout.handshake_timeout = std::chrono::seconds(limits.handshake_timeout_seconds);
  // Beast's idle timer restarts only when a read begins, so a client that just listens and
  // answers pings would be dropped; the ping timer below keeps the idle clock instead, fed
  // by every message and control frame (pongs included).
  timeout.idle_timeout = websocket::stream_base::none();
  timeout.keep_alive_pings = false;
  ws_.set_option(timeout);
  ws_.control_callback([this](websocket::frame_type, beast::string_view) {
    last_heard_ = std::chrono::steady_clock::now();
  });
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(beast::http::field::server, "xchatd/" + std::string(kVersion));
  }));
  ws_.read_message_max(static_cast<std::size_t>(limits.max_frame_bytes));
  ws_.auto_fragment(false);
  net_.registry.add(this->shared_from_this());
  ws_.async_accept(request,
                   beast::bind_front_handler(&WsSession::on_accept, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_accept(beast::error_code ec) {
  if (ec) {
    spdlog::debug("websocket accept from {} failed: {}", context_.client_ip, ec.message());
    close_timer_.cancel();
    return;
  }
  accepted_ = true;
  last_heard_ = std::chrono::steady_clock::now();
  // A close requested during the upgrade (a shutdown) waited for it: Beast's close
  // handshake must not overlap the accept.
  if (closing_) return start_close_handshake();
  schedule_ping();
  do_read();
}

template <class Stream>
void WsSession<Stream>::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    if (!is_quiet_error(ec)) spdlog::debug("read from {}: {}", context_.client_ip, ec.message());
    if (ec == websocket::error::message_too_big) {
      net_.metrics.count_error(ErrorCode::kTooLarge);
    }
    ping_timer_.cancel();
    close_timer_.cancel();
    return;
  }
  net_.metrics.frames_in.fetch_add(1, std::memory_order_relaxed);
  last_heard_ = std::chrono::steady_clock::now();
  if (closing_) return;  // the close handshake is under way; ignore what the peer still sends
  if (!ws_.got_text()) {
    buffer_.consume(buffer_.size());
    net_.metrics.count_error(ErrorCode::kBadRequest);
    enqueue(std::make_shared<const std::string>(proto::encode_error(
        nullptr,
        Status(ErrorCode::kBadRequest, "binary frames are not accepted; send JSON text"))));
  } else {
    const auto data = buffer_.cdata();
    const std::string_view frame(static_cast<const char*>(data.data()), data.size());
    ++in_flight_;
    net_.dispatcher.dispatch(this->shared_from_this(), frame);
    buffer_.consume(buffer_.size());
  }
  if (closing_) return;
  if (in_flight_ >= static_cast<std::size_t>(net_.settings.get()->limits.max_requests_in_flight)) {
    reading_paused_ = true;
  } else {
    do_read();
  }
}

template <class Stream>
void WsSession<Stream>::send(std::shared_ptr<const std::string> frame) {
  boost::asio::dispatch(ws_.get_executor(),
                        [self = this->shared_from_this(), frame = std::move(frame)]() mutable {
                          self->enqueue(std::move(frame));
                        });
}

template <class Stream>
void WsSession<Stream>::send_best_effort(std::shared_ptr<const std::string> frame) {
  boost::asio::dispatch(
      ws_.get_executor(), [self = this->shared_from_this(), frame = std::move(frame)]() mutable {
        const auto limit =
            static_cast<std::size_t>(self->net_.settings.get()->limits.max_outbound_queue_bytes);
        if (self->queued_bytes_ + frame->size() > limit / 2) return;
        self->enqueue(std::move(frame));
      });
}

template <class Stream>
void WsSession<Stream>::reply(std::string frame) {
  boost::asio::dispatch(ws_.get_executor(),
                        [self = this->shared_from_this(),
                         frame = std::make_shared<const std::string>(std::move(frame))]() mutable {
                          self->enqueue(std::move(frame));
                          self->finish_request();
                        });
}

template <class Stream>
void WsSession<Stream>::finish_request() {
  if (in_flight_ > 0) --in_flight_;
  if (reading_paused_ && !closing_ &&
      in_flight_ < static_cast<std::size_t>(net_.settings.get()->limits.max_requests_in_flight)) {
    reading_paused_ = false;
    do_read();
  }
}

template <class Stream>
void WsSession<Stream>::close(CloseCode code, std::string_view reason) {
  boost::asio::dispatch(ws_.get_executor(),
                        [self = this->shared_from_this(), code, reason = std::string(reason)] {
                          self->begin_close(code, reason, /*drop_queue=*/false);
                        });
}

template <class Stream>
void WsSession<Stream>::enqueue(std::shared_ptr<const std::string> frame) {
  if (closing_) return;
  const auto limit = static_cast<std::size_t>(net_.settings.get()->limits.max_outbound_queue_bytes);
  if (queued_bytes_ + frame->size() > limit) {
    net_.metrics.slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("closing {}: outbound queue over {} bytes (client not reading)",
                 context_.client_ip, limit);
    begin_close(CloseCode::kPolicyViolation, "outbound queue limit exceeded", /*drop_queue=*/true);
    return;
  }
  queued_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  if (!writing_) do_write();
}

template <class Stream>
void WsSession<Stream>::do_write() {
  writing_ = true;
  ws_.text(true);
  ws_.async_write(boost::asio::buffer(*queue_.front()),
                  beast::bind_front_handler(&WsSession::on_write, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) {
    if (!is_quiet_error(ec)) spdlog::debug("write to {}: {}", context_.client_ip, ec.message());
    return;
  }
  net_.metrics.frames_out.fetch_add(1, std::memory_order_relaxed);
  queued_bytes_ -= queue_.front()->size();
  queue_.pop_front();
  if (!queue_.empty()) {
    do_write();
  } else if (closing_ && !close_started_) {
    start_close_handshake();
  }
}

template <class Stream>
void WsSession<Stream>::schedule_ping() {
  const auto config = net_.settings.get();
  const auto idle = std::chrono::seconds(config->limits.idle_timeout_seconds);
  const auto until_idle = last_heard_ + idle - std::chrono::steady_clock::now();
  ping_timer_.expires_after(std::min<std::chrono::steady_clock::duration>(
      std::chrono::seconds(config->limits.ping_interval_seconds), until_idle));
  ping_timer_.async_wait([self = this->shared_from_this(), idle](beast::error_code ec) {
    if (ec || self->closing_) return;
    if (std::chrono::steady_clock::now() - self->last_heard_ >= idle) {
      // Silent for the whole idle timeout, pongs included: the peer is gone or stuck.
      spdlog::debug("dropping {}: nothing received for {} s", self->context_.client_ip,
                    idle.count());
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
      return;
    }
    // A ping still waiting behind a stalled write means the peer is not reading; the
    // idle timeout or the queue limit will deal with it.
    if (!self->ping_pending_) {
      self->ping_pending_ = true;
      self->ws_.async_ping({}, [self](beast::error_code) { self->ping_pending_ = false; });
    }
    self->schedule_ping();
  });
}

template <class Stream>
void WsSession<Stream>::begin_close(CloseCode code, std::string reason, bool drop_queue) {
  if (closing_) return;
  closing_ = true;
  close_code_ = code;
  close_reason_ = std::move(reason);
  ping_timer_.cancel();
  if (drop_queue) {
    // The frame being written cannot be recalled; everything behind it goes.
    const std::size_t keep = writing_ ? 1 : 0;
    while (queue_.size() > keep) {
      queued_bytes_ -= queue_.back()->size();
      queue_.pop_back();
    }
  }
  close_timer_.expires_after(kCloseDeadline);
  close_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
    if (ec) return;
    beast::error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
  });
  if (!writing_ && accepted_) start_close_handshake();
}

template <class Stream>
void WsSession<Stream>::start_close_handshake() {
  close_started_ = true;
  websocket::close_reason reason(static_cast<std::uint16_t>(close_code_));
  reason.reason = close_reason_;
  ws_.async_close(reason, [self = this->shared_from_this()](beast::error_code) {
    self->close_timer_.cancel();
  });
}

template class WsSession<beast::tcp_stream>;
template class WsSession<beast::ssl_stream<beast::tcp_stream>>;

}  // namespace xchat::net
