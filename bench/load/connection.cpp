#include "load/connection.hpp"

#include <netinet/in.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <iterator>

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

Connection::Connection(net::io_context& ioc, Endpoint endpoint,
                       std::optional<net::ip::address_v4> source)
    : ws_(ioc), endpoint_(std::move(endpoint)), source_(source) {}

void Connection::open(OpenHandler done) {
  auto& stream = beast::get_lowest_layer(ws_);
  if (source_) {
    auto& socket = stream.socket();
    beast::error_code ec;
    socket.open(tcp::v4(), ec);
    // Port 0 with IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect time, unique for
    // the whole (source, destination) pair, instead of at bind time among the ports no
    // socket of any address holds.
    const int one = 1;
    if (!ec && ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                            sizeof one) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
    if (!ec) socket.bind(tcp::endpoint(*source_, 0), ec);
    if (ec) return done("bind to " + source_->to_string() + ": " + ec.message());
  }
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

void Connection::close(std::function<void()> done) {
  if (!open_) return done();
  open_ = false;
  fail_awaiting("closed by the generator");
  ws_.async_close(
      websocket::close_code::normal,
      [self = shared_from_this(), done = std::move(done)](beast::error_code) { done(); });
}

std::string Connection::take_frame() {
  if (spare_frames_.empty()) return {};
  std::string frame = std::move(spare_frames_.back());
  spare_frames_.pop_back();
  frame.clear();
  return frame;
}

bool Connection::request(std::string_view members, ReplyHandler on_reply) {
  const std::uint64_t id = next_id_++;
  std::string frame = take_frame();
  char digits[24];
  const auto end = std::to_chars(std::begin(digits), std::end(digits), id).ptr;
  frame.append("{\"id\":").append(digits, end);
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
  if (spare_frames_.size() < kMaxSpareFrames) spare_frames_.push_back(std::move(queue_.front()));
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
  fail_awaiting(why);
}

void Connection::fail_awaiting(const std::string& why) {
  const nlohmann::json lost = {{"error", {{"code", "connection_lost"}, {"message", why}}}};
  auto awaiting = std::move(awaiting_);
  awaiting_.clear();
  for (auto& [id, handler] : awaiting) handler(lost);
}

}  // namespace xchat::bench
