#include "net/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <vector>

#include "net/connection_setup.hpp"
#include "xchat/error_code.hpp"

namespace xchat::client {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return {};
}

namespace {

Status network_error(std::string_view what, const beast::error_code& ec) {
  return Status(ErrorCode::kUnavailable, "HTTP " + std::string(what) + ": " + ec.message());
}

template <class Stream>
class Client : public HttpClient {
 public:
  template <class... Args>
  explicit Client(net::io_context& io, Args&&... args)
      : io_(io), stream_(io, std::forward<Args>(args)...) {}

  Status connect(std::uint16_t port, const ConnectOptions& options) {
    timeout_ = options.timeout;
    host_ = host_header(options.host, port);
    tcp::resolver resolver(io_);
    beast::error_code ec;
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(options.host, std::to_string(port),
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                           });
    io_.restart();
    // A resolver has no deadline of its own; one that outlasts ours is cancelled.
    if (io_.run_for(timeout_) == 0 || !io_.stopped()) {
      resolver.cancel();
      io_.run();
      if (!ec) ec = beast::error::timeout;
    }
    if (ec) return network_error("resolve " + options.host, ec);
    ec = run([&](auto handler) { lowest().async_connect(endpoints, handler); });
    if (ec) return network_error("connect", ec);
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      std::string error;
      if (!prepare_tls(stream_, options, &error)) return Status(ErrorCode::kUnavailable, error);
      ec = run(
          [&](auto handler) { stream_.async_handshake(net::ssl::stream_base::client, handler); });
      if (ec) return network_error("tls", ec);
    }
    open_ = true;
    return Status::ok();
  }

  Result<HttpResponse> exchange(const HttpRequest& request, const BodySink& sink) override {
    if (!open_) return Status(ErrorCode::kUnavailable, "HTTP: not connected");
    if (Status s = write_request(request); !s) return fail(s);
    return read_response(sink);
  }

  bool is_open() const override { return open_; }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // Runs one async operation to its end; it must make progress within timeout_.
  template <class Start>
  beast::error_code run(Start&& start) {
    beast::error_code result;
    lowest().expires_after(timeout_);
    start([&](beast::error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run();
    return result;
  }

  Status fail(Status s) {
    beast::error_code ignored;
    lowest().socket().close(ignored);
    open_ = false;
    return s;
  }

  Status write_request(const HttpRequest& r) {
    http::request<http::buffer_body> req{http::string_to_verb(r.method), r.target, 11};
    req.set(http::field::host, host_);
    for (const auto& [name, value] : r.headers) req.set(name, value);
    // The length goes ahead of the body, so a server refuses one too long for the upload
    // before any of it is sent. An empty POST or PATCH says Content-Length: 0, as HTTP/1.1
    // servers expect.
    if (r.body_length > 0 || req.method() == http::verb::post ||
        req.method() == http::verb::patch) {
      req.content_length(r.body_length);
    }
    req.body().data = nullptr;
    req.body().more = r.body_length > 0;
    http::request_serializer<http::buffer_body> serializer{req};
    if (r.body_length == 0) {
      const auto ec = run([&](auto handler) { http::async_write(stream_, serializer, handler); });
      return ec ? network_error("send", ec) : Status::ok();
    }
    if (auto ec = run([&](auto h) { http::async_write_header(stream_, serializer, h); })) {
      return network_error("send", ec);
    }
    std::uint64_t left = r.body_length;
    while (left > 0) {
      auto piece = r.body();
      if (!piece) return piece.status();
      if (piece->empty() || piece->size() > left) {
        return Status(ErrorCode::kInternal, "HTTP: the body is not the length it was said to be");
      }
      left -= piece->size();
      req.body().data = const_cast<char*>(piece->data());
      req.body().size = piece->size();
      req.body().more = left > 0;
      auto ec = run([&](auto handler) { http::async_write(stream_, serializer, handler); });
      // need_buffer: this piece is written and the serializer wants the next.
      if (ec && ec != http::error::need_buffer) return network_error("send", ec);
    }
    return Status::ok();
  }

  Result<HttpResponse> read_response(const BodySink& sink) {
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);  // streamed bodies are as long as the file
    if (auto ec = run([&](auto h) { http::async_read_header(stream_, buffer_, parser, h); })) {
      return fail(network_error("receive", ec));
    }
    HttpResponse response;
    response.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    const bool streamed = sink && response.status / 100 == 2;
    body_buffer_.resize(kBufferBytes);
    while (!parser.is_done()) {
      parser.get().body().data = body_buffer_.data();
      parser.get().body().size = body_buffer_.size();
      auto ec = run([&](auto handler) { http::async_read(stream_, buffer_, parser, handler); });
      // What arrived before a cut is handed over too: a download resumes after it.
      const std::string_view got(body_buffer_.data(),
                                 body_buffer_.size() - parser.get().body().size);
      if (streamed) {
        if (Status s = sink(response, got); !s) return fail(s);
      } else if (response.body.size() + got.size() > kMaxBufferedBody) {
        return fail(Status(ErrorCode::kUnavailable, "HTTP: the response body is too large"));
      } else {
        response.body.append(got);
      }
      // need_buffer: the buffer is full, and was taken; read on.
      if (ec && ec != http::error::need_buffer) return fail(network_error("receive", ec));
    }
    if (!parser.keep_alive()) fail(Status::ok());
    return response;
  }

  net::io_context& io_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::vector<char> body_buffer_;
  std::chrono::milliseconds timeout_{10000};
  std::string host_;
  bool open_ = false;
};

struct PlainClient final : ClientContexts, Client<beast::tcp_stream> {
  PlainClient() : Client<beast::tcp_stream>(ClientContexts::io) {}
};

struct TlsClient final : ClientContexts, Client<beast::ssl_stream<beast::tcp_stream>> {
  TlsClient()
      : Client<beast::ssl_stream<beast::tcp_stream>>(ClientContexts::io, ClientContexts::tls) {}
};

template <class C>
Result<std::unique_ptr<HttpClient>> connected(std::unique_ptr<C> client, std::uint16_t port,
                                              const ConnectOptions& options) {
  if (Status s = client->connect(port, options); !s) return s;
  return std::unique_ptr<HttpClient>(std::move(client));
}

}  // namespace

Result<std::unique_ptr<HttpClient>> HttpClient::connect(std::uint16_t port,
                                                        const ConnectOptions& options) {
  if (!options.tls) return connected(std::make_unique<PlainClient>(), port, options);
  auto client = std::make_unique<TlsClient>();
  std::string error;
  if (!load_trust(client->ClientContexts::tls, options, &error)) {
    return Status(ErrorCode::kUnavailable, error);
  }
  return connected(std::move(client), port, options);
}

}  // namespace xchat::client
