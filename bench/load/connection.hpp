#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace xchat::bench {

// Where the server listens: a loopback address, a port and the WebSocket path.
struct Endpoint {
  boost::asio::ip::address_v4 address;
  std::uint16_t port = 0;
  std::string path = "/v1/ws";
};

// The error code of a reply frame ("" when it carries a result). A reply with neither is
// "malformed_reply".
std::string error_code_of(const nlohmann::json& reply);
// The error's code and message, for error details.
std::string error_text_of(const nlohmann::json& reply);

// One WebSocket connection to xchatd, driven asynchronously alongside the others of its
// io_context. Requests are pipelined: each gets the next id, and its handler is called
// when the reply with that id arrives, in whatever order the server answers. Frames
// without an id are pushes.
//
// Thread safety: none. Every member function and every handler runs on the one thread
// that runs the io_context given to the constructor. Create it with std::make_shared: the
// pending operations keep it alive through shared_from_this.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Frames written and not yet sent. Callers bound what they produce (a sender's window,
  // the acks for the server's delivery window), so reaching this is a generator bug or a
  // server that stopped reading for good: the connection then fails.
  static constexpr std::size_t kMaxQueuedFrames = 1 << 16;
  // Written frames kept for reuse: as many as a sender's window keeps in flight.
  static constexpr std::size_t kMaxSpareFrames = 64;

  // A reply: {"id":..,"result":{..}} or {"id":..,"error":{"code":..,"message":..}}.
  using ReplyHandler = std::function<void(const nlohmann::json& reply)>;
  using PushHandler = std::function<void(const nlohmann::json& push)>;
  // Something went wrong: `kind` is "connection_lost" (the connection is then closed; it
  // is reported once) or "unexpected_frame" (the connection carries on).
  using ErrorHandler = std::function<void(std::string_view kind, const std::string& detail)>;
  // "" once the WebSocket is open, else why it could not be opened.
  using OpenHandler = std::function<void(const std::string& error)>;

  // `source`, when given, is the local address the connection is bound to before it
  // connects: one address's ephemeral ports (about 28,000) cap how many connections can
  // reach one server port from it, so large runs spread their clients over several.
  Connection(boost::asio::io_context& ioc, Endpoint endpoint,
             std::optional<boost::asio::ip::address_v4> source = std::nullopt);

  // Set these before open(); each may be left empty.
  void set_push_handler(PushHandler handler) { on_push_ = std::move(handler); }
  void set_error_handler(ErrorHandler handler) { on_error_ = std::move(handler); }
  // Called after a frame has been handled when nothing more waits in the socket: the moment
  // to answer a burst of pushes with one request (batched acks).
  void set_caught_up_handler(std::function<void()> handler) { on_caught_up_ = std::move(handler); }

  // Connects (TCP_NODELAY) and upgrades, each step bounded by 10 s, then reads until the
  // connection fails or is destroyed.
  void open(OpenHandler done);
  bool is_open() const { return open_; }
  // Closes the WebSocket with 1000 (normal closure), as a client that signs off does; no
  // error is reported for it. Requests still awaiting their reply get "connection_lost".
  // `done` is called once the close handshake has ended, however it ended.
  void close(std::function<void()> done);

  // Sends {"id":N,<members>}: `members` is the text of a JSON object's members without the
  // braces, e.g. R"("type":"ping")". When the connection fails before the reply, `on_reply`
  // gets an error reply with the code "connection_lost". Returns false, sending nothing and
  // never calling `on_reply`, when the connection is not open.
  bool request(std::string_view members, ReplyHandler on_reply);
  // The same for a JSON object without "id".
  bool request_object(const nlohmann::json& object, ReplyHandler on_reply);

 private:
  bool send_request(std::uint64_t id, std::string frame, ReplyHandler on_reply);
  void on_connect(boost::beast::error_code ec, OpenHandler done);
  void on_handshake(boost::beast::error_code ec, const OpenHandler& done);
  void do_read();
  void on_read(boost::beast::error_code ec);
  void dispatch(const nlohmann::json& frame);
  void do_write();
  void on_write(boost::beast::error_code ec);
  void fail(const std::string& why);
  void fail_awaiting(const std::string& why);
  // An empty string for the next frame, with the capacity of one already written if any.
  std::string take_frame();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  const Endpoint endpoint_;
  const std::optional<boost::asio::ip::address_v4> source_;
  PushHandler on_push_;
  ErrorHandler on_error_;
  std::function<void()> on_caught_up_;

  bool open_ = false;                 // handshake done, no failure since
  boost::beast::flat_buffer buffer_;  // the frame being read
  std::deque<std::string> queue_;     // frames to write; the front one is being written
  // Frames already written, kept for their capacity: the next requests are built in them,
  // so a steady load allocates no frame buffers. At most kMaxSpareFrames.
  std::vector<std::string> spare_frames_;
  std::unordered_map<std::uint64_t, ReplyHandler> awaiting_;  // by request id
  std::uint64_t next_id_ = 1;
};

}  // namespace xchat::bench
