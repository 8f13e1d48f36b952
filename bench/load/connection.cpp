#include "load/connection.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>

namespace xchat::bench {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr auto kHandshakeTimeout = std::chrono::seconds(10);

}  // namespace

std::string error_code_of(const nlohmann::json& reply) {
  if (reply.contains("result")) return "";
  const auto error = reply.find("error");
  if (error == reply.end() || !error->is_object()) return "malformed_reply";
  const auto code = error->find("code");
  return code != error->end() && code->is_string() ? code->get<std::string>() : "malformed_reply";
}

std::string error_text_of(const nlohmann::json& reply) {
  std::string text = error_code_of(reply);
  const auto error = reply.find("error");
  if (error != reply.end() && error->is_object()) {
    const auto message = error->find("message");
    if (message != error->end() && message->is_string()) {
      text += ": " + message->get<std::string>();
    }
  }
  return text;
}

Connection::Connection(net::io_context& ioc, Endpoint endpoint)
    : ws_(ioc), endpoint_(std::move(endpoint)) {}

void Connection::open(OpenHandler done) {
  auto& stream = beast::get_lowest_layer(ws_);
  stream.expires_after(kHandshakeTimeout);
  stream.async_connect(
      tcp::endpoint(endpoint_.address, endpoint_.port),
      [self = shared_from_this(), done = std::move(done)](beast::error_code ec) mutable {
        self->on_connect(ec, std::move(done));
      });
}

void Connection::on_connect(beast::error_code ec, OpenHandler done) {
  if (ec) return done("connect: " + ec.message());
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
  // The WebSocket stream's timers take over from the TCP stream's. No idle timeout: quiet
  // connections are what idle mode measures, and the server's pings, answered while a read
  // is pending, keep them alive.
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = kHandshakeTimeout;
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  const std::string host = endpoint_.address.to_string() + ":" + std::to_string(endpoint_.port);
  ws_.async_handshake(host, endpoint_.path,
                      [self = shared_from_this(), done = std::move(done)](beast::error_code e) {
                        self->on_handshake(e, done);
                      });
}

void Connection::on_handshake(beast::error_code ec, const OpenHandler& done) {
  if (ec) return done("handshake: " + ec.message());
  open_ = true;
  ws_.text(true);
  do_read();
  done("");
}

bool Connection::request(std::string_view members, ReplyHandler on_reply) {
  const std::uint64_t id = next_id_++;
  std::string frame = "{\"id\":" + std::to_string(id);
  if (!members.empty()) frame.append(",").append(members);
  frame.push_back('}');
  return send_request(id, std::move(frame), std::move(on_reply));
}

bool Connection::request_object(const nlohmann::json& object, ReplyHandler on_reply) {
  const std::uint64_t id = next_id_++;
  nlohmann::json frame = object;
  frame["id"] = id;
  return send_request(id, frame.dump(), std::move(on_reply));
}

bool Connection::send_request(std::uint64_t id, std::string frame, ReplyHandler on_reply) {
  if (!open_) return false;
  awaiting_.emplace(id, std::move(on_reply));
  if (queue_.size() >= kMaxQueuedFrames) {
    fail("more than " + std::to_string(kMaxQueuedFrames) + " frames waiting to be written");
    return true;  // fail() has given `on_reply` its connection_lost reply
  }
  queue_.push_back(std::move(frame));
  if (queue_.size() == 1) do_write();
  return true;
}

void Connection::do_read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_read(ec);
  });
}

void Connection::on_read(beast::error_code ec) {
  if (ec == websocket::error::closed) {
    const auto& reason = ws_.reason();
    return fail("closed by the server with " + std::to_string(reason.code) + " " +
                std::string(reason.reason.data(), reason.reason.size()));
  }
  if (ec) return fail("read: " + ec.message());
  const auto data = buffer_.cdata();
  const auto* text = static_cast<const char*>(data.data());
  const auto frame = nlohmann::json::parse(text, text + data.size(), nullptr, false);
  buffer_.consume(buffer_.size());
  dispatch(frame);
  if (!open_) return;
  if (on_caught_up_) {
    beast::error_code ignored;
    if (beast::get_lowest_layer(ws_).socket().available(ignored) == 0) on_caught_up_();
    if (!open_) return;
  }
  do_read();
}

void Connection::dispatch(const nlohmann::json& frame) {
  if (!frame.is_object()) {
    if (on_error_) on_error_("unexpected_frame", "a frame that is not a JSON object");
    return;
  }
  const auto id = frame.find("id");
  if (id == frame.end()) {
    if (on_push_) on_push_(frame);
    return;
  }
  const auto it =
      id->is_number_unsigned() ? awaiting_.find(id->get<std::uint64_t>()) : awaiting_.end();
  if (it == awaiting_.end()) {
    if (on_error_) on_error_("unexpected_frame", "a reply to no request: " + frame.dump());
    return;
  }
  const ReplyHandler handler = std::move(it->second);
  awaiting_.erase(it);
  handler(frame);
}

void Connection::do_write() {
  ws_.async_write(
      net::buffer(queue_.front()),
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

void Connection::on_write(beast::error_code ec) {
  if (ec) return fail("write: " + ec.message());
  queue_.pop_front();
  if (open_ && !queue_.empty()) do_write();
}

void Connection::fail(const std::string& why) {
  if (!open_) return;
  open_ = false;
  // Closing the socket ends the pending read and write, whose handlers then find the
  // connection closed.
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  if (on_error_) on_error_("connection_lost", why);
  const nlohmann::json lost = {{"error", {{"code", "connection_lost"}, {"message", why}}}};
  auto awaiting = std::move(awaiting_);
  awaiting_.clear();
  for (auto& [id, handler] : awaiting) handler(lost);
}

}  // namespace xchat::bench
