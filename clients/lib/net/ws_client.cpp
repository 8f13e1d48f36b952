#include "net/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "net/connection_setup.hpp"

namespace xchat::client {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

template <class Stream>
class Client : public WsClient {
 public:
  template <class... Args>
  explicit Client(Args&&... args) : ws_(std::forward<Args>(args)...) {}

  // Runs the io_context until `done` or `deadline`; false on the deadline.
  bool wait_for(const bool& done, std::chrono::steady_clock::time_point deadline) {
    io().restart();
    while (!done) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      if (io().run_one_for(deadline - now) == 0 && io().stopped()) {
        if (done) break;
        return false;  // nothing left to run, and the operation never finished
      }
    }
    return true;
  }

  // Runs the async operation started by `start` until it completes or `timeout` passes.
  // A read may stay pending meanwhile (read_text leaves one behind after a timeout).
  template <class Start>
  bool run(Start&& start, std::chrono::milliseconds timeout) {
    bool done = false;
    start(done);
    if (wait_for(done, std::chrono::steady_clock::now() + timeout)) return true;
    // Closed, not cancelled: an operation whose completion was already queued would
    // otherwise carry on (Beast answers a ping by writing and reading again) and run()
    // below would wait for it as long as the server keeps pinging.
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
    io().restart();
    io().run();
    open_ = false;
    return false;
  }

  net::io_context& io() { return static_cast<net::io_context&>(ws_.get_executor().context()); }

  bool connect(std::uint16_t port, const ConnectOptions& options, std::string* error,
               int* http_status) {
    auto& sock = beast::get_lowest_layer(ws_).socket();
    beast::error_code ec;
    tcp::resolver::results_type endpoints;
    bool ok = run(
        [&](bool& done) {
          resolver_.async_resolve(options.host, std::to_string(port),
                                  [&](beast::error_code e, tcp::resolver::results_type r) {
                                    ec = e;
                                    endpoints = std::move(r);
                                    done = true;
                                  });
        },
        options.timeout);
    if (!ok || ec) {
      if (error != nullptr) {
        *error = "resolve " + options.host + ": " + (ec ? ec.message() : std::string("timeout"));
      }
      return false;
    }
    for (const auto& entry : endpoints) {
      const tcp::endpoint server = entry.endpoint();
      if (sock.is_open()) sock.close(ec);
      sock.open(server.protocol(), ec);
      if (options.receive_buffer > 0) {
        sock.set_option(net::socket_base::receive_buffer_size(options.receive_buffer), ec);
      }
      if (!options.local_address.empty()) {
        sock.bind({net::ip::make_address(options.local_address), 0}, ec);
      }
      ok = run(
          [&](bool& done) {
            sock.async_connect(server, [&](beast::error_code e) {
              ec = e;
              done = true;
            });
          },
          options.timeout);
      if (ok && !ec) break;
    }
    if (!ok || ec || !sock.is_open()) {
      if (error != nullptr) *error = "connect: " + (ec ? ec.message() : std::string("timeout"));
      return false;
    }
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      if (!prepare_tls(ws_.next_layer(), options, error)) return false;
      ok = run(
          [&](bool& done) {
            ws_.next_layer().async_handshake(net::ssl::stream_base::client,
                                             [&](beast::error_code e) {
                                               ec = e;
                                               done = true;
                                             });
          },
          options.timeout);
      if (!ok || ec) {
        if (error != nullptr) *error = "tls: " + (ec ? ec.message() : std::string("timeout"));
        return false;
      }
    }
    ws_.set_option(websocket::stream_base::decorator(
        [headers = options.headers](websocket::request_type& req) {
          for (const auto& [k, v] : headers) req.set(k, v);
        }));
    websocket::response_type response;
    ok = run(
        [&](bool& done) {
          ws_.async_handshake(response, host_header(options.host, port), options.target,
                              [&](beast::error_code e) {
                                ec = e;
                                done = true;
                              });
        },
        options.timeout);
    if (http_status != nullptr) *http_status = response.result_int();
    if (!ok || ec) {
      if (error != nullptr) {
        *error = "handshake: " + (ec ? ec.message() : std::string("timeout")) + " (HTTP " +
                 std::to_string(response.result_int()) + ")";
      }
      return false;
    }
    open_ = true;
    return true;
  }

  bool send(const std::string& data, bool text, std::chrono::milliseconds timeout) {
    if (!open_) return false;
    beast::error_code ec;
    ws_.text(text);
    const bool ok = run(
        [&](bool& done) {
          ws_.async_write(net::buffer(data), [&](beast::error_code e, std::size_t) {
            ec = e;
            done = true;
          });
        },
        timeout);
    if (ec) open_ = false;
    return ok && !ec;
  }

  bool send_text(const std::string& text, std::chrono::milliseconds timeout) override {
    return send(text, true, timeout);
  }
  bool send_binary(const std::string& bytes, std::chrono::milliseconds timeout) override {
    return send(bytes, false, timeout);
  }

  // A timeout leaves the read pending and the connection usable: a WebSocket read cannot be
  // cancelled without breaking the stream, so the next call picks the same read up.
  std::optional<std::string> read_text(std::chrono::milliseconds timeout) override {
    if (!open_) return std::nullopt;
    if (!read_pending_ && !read_done_) {
      read_pending_ = true;
      ws_.async_read(read_buffer_, [this](beast::error_code e, std::size_t) {
        read_pending_ = false;
        read_done_ = true;
        read_ec_ = e;
      });
    }
    if (!wait_for(read_done_, std::chrono::steady_clock::now() + timeout)) return std::nullopt;
    read_done_ = false;
    if (read_ec_) {
      if (read_ec_ == websocket::error::closed) close_code_ = ws_.reason().code;
      open_ = false;
      return std::nullopt;
    }
    std::string text = beast::buffers_to_string(read_buffer_.data());
    read_buffer_.consume(read_buffer_.size());
    return text;
  }

  std::optional<int> wait_close(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (open_ && std::chrono::steady_clock::now() < deadline) {
      read_text(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
    }
    return close_code_;
  }

  void close(int code) override {
    if (!open_) return;
    run(
        [&](bool& done) {
          ws_.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)),
                          [&](beast::error_code) { done = true; });
        },
        std::chrono::seconds(5));
    open_ = false;
  }

  bool is_open() const override { return open_; }
  std::optional<int> close_code() const override { return close_code_; }

 private:
  websocket::stream<Stream> ws_;
  tcp::resolver resolver_{ws_.get_executor()};
  bool open_ = false;
  // The one read in flight, which may outlive the read_text() that started it.
  beast::flat_buffer read_buffer_;
  bool read_pending_ = false;
  bool read_done_ = false;
  beast::error_code read_ec_;
  std::optional<int> close_code_;
};

struct PlainClient final : ClientContexts, Client<beast::tcp_stream> {
  PlainClient() : Client<beast::tcp_stream>(ClientContexts::io) {}
};

struct TlsClient final : ClientContexts, Client<beast::ssl_stream<beast::tcp_stream>> {
  TlsClient()
      : Client<beast::ssl_stream<beast::tcp_stream>>(ClientContexts::io, ClientContexts::tls) {}
};

}  // namespace

std::unique_ptr<WsClient> WsClient::connect(std::uint16_t port, const ConnectOptions& options,
                                            std::string* error, int* http_status) {
  if (options.tls) {
    auto c = std::make_unique<TlsClient>();
    if (!load_trust(c->ClientContexts::tls, options, error)) return nullptr;
    if (!c->connect(port, options, error, http_status)) return nullptr;
    return c;
  }
  auto c = std::make_unique<PlainClient>();
  if (!c->connect(port, options, error, http_status)) return nullptr;
  return c;
}

std::optional<nlohmann::json> WsClient::read_json(std::chrono::milliseconds timeout) {
  auto text = read_text(timeout);
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

nlohmann::json WsClient::request(nlohmann::json req, std::chrono::milliseconds timeout) {
  if (!req.contains("id")) req["id"] = next_id_++;
  const auto id = req["id"];
  if (!send_text(req.dump(), timeout)) return nullptr;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto frame = read_json(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!frame) return nullptr;
    if (frame->contains("id") && (*frame)["id"] == id) return *frame;
    pushes_.push_back(std::move(*frame));
  }
  return nullptr;
}

}  // namespace xchat::client
