#include "integration/support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace xchat::testing {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr std::size_t kChunk = 256 * 1024;

struct Connection {
  boost::asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;

  explicit Connection(std::uint16_t port) {
    stream.expires_after(std::chrono::seconds(30));
    stream.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }
  ~Connection() {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  }
};

template <class Fields>
void copy_headers(const Fields& fields, HttpReply& out) {
  for (const auto& f : fields) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
}

void set_headers(http::request<http::empty_body>& req, const HttpHeaders& headers) {
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
}

}  // namespace

std::string HttpReply::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

nlohmann::json HttpReply::json() const {
  return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
}

std::string HttpReply::error_code() const {
  const auto j = json();
  if (!j.is_object() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

HttpReply HttpClient::request(const std::string& method, const std::string& target,
                              const HttpHeaders& headers, const std::string& body) const {
  Connection c(port_);
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  if (!body.empty()) req.prepare_payload();
  http::write(c.stream, req);
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  if (method == "HEAD") parser.skip(true);
  HttpReply out;
  beast::error_code ec;
  http::read(c.stream, c.buffer, parser, ec);
  if (ec) return out;
  out.status = parser.get().result_int();
  copy_headers(parser.get(), out);
  out.body = parser.get().body();
  return out;
}

HttpReply HttpClient::upload(const std::string& target, const HttpHeaders& headers,
                             const Source& source, std::int64_t from, std::int64_t to, bool chunked,
                             std::optional<std::int64_t> cut_after) const {
  Connection c(port_);
  http::request<http::empty_body> req{http::verb::patch, target, 11};
  set_headers(req, headers);
  if (chunked) {
    req.chunked(true);
  } else {
    req.content_length(static_cast<std::uint64_t>(to - from));
  }
  http::request_serializer<http::empty_body> sr{req};
  http::write_header(c.stream, sr);
  std::vector<char> chunk(kChunk);
  std::int64_t sent = 0;
  for (std::int64_t at = from; at < to;) {
    auto n = static_cast<std::size_t>(std::min<std::int64_t>(to - at, kChunk));
    if (cut_after) n = static_cast<std::size_t>(std::min<std::int64_t>(n, *cut_after - sent));
    source(at, chunk.data(), n);
    beast::error_code ec;
    c.stream.expires_after(std::chrono::seconds(30));
    if (chunked) {
      boost::asio::write(c.stream, http::make_chunk(boost::asio::buffer(chunk.data(), n)), ec);
    } else {
      boost::asio::write(c.stream, boost::asio::buffer(chunk.data(), n), ec);
    }
    if (ec) return {};
    at += static_cast<std::int64_t>(n);
    sent += static_cast<std::int64_t>(n);
    if (cut_after && sent >= *cut_after) return {};
  }
  if (chunked) boost::asio::write(c.stream, http::make_chunk_last());
  http::response<http::string_body> res;
  beast::error_code ec;
  http::read(c.stream, c.buffer, res, ec);
  HttpReply out;
  if (ec) return out;
  out.status = res.result_int();
  copy_headers(res, out);
  out.body = res.body();
  return out;
}

HttpReply HttpClient::download(const std::string& target, const HttpHeaders& headers,
                               const std::function<void(const char*, std::size_t)>& sink,
                               std::optional<std::int64_t> cut_after) const {
  Connection c(port_);
  http::request<http::empty_body> req{http::verb::get, target, 11};
  set_headers(req, headers);
  http::write(c.stream, req);
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  HttpReply out;
  beast::error_code ec;
  http::read_header(c.stream, c.buffer, parser, ec);
  if (ec) return out;
  out.status = parser.get().result_int();
  copy_headers(parser.get(), out);
  std::vector<char> chunk(kChunk);
  std::int64_t received = 0;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    c.stream.expires_after(std::chrono::seconds(30));
    http::read(c.stream, c.buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    const std::size_t n = chunk.size() - parser.get().body().size;
    if (!(out.status >= 200 && out.status < 300)) {
      out.body.append(chunk.data(), n);
    } else {
      sink(chunk.data(), n);
    }
    received += static_cast<std::int64_t>(n);
    if (ec) {
      out.status = 0;  // the body did not arrive whole
      return out;
    }
    if (cut_after && received >= *cut_after) return out;
  }
  return out;
}

}  // namespace xchat::testing
