#include "load/attachment_client.hpp"

#include <boost/beast/http.hpp>
#include <memory>
#include <stdexcept>

#include "load/scenario.hpp"
#include "load/tcp_socket.hpp"

namespace xchat::bench {

namespace {

namespace http = boost::beast::http;

constexpr std::size_t kReadBytes = 64 * 1024;
// The JSON answers are a few hundred bytes; anything near this is not xchatd.
constexpr std::uint64_t kMaxReplyBodyBytes = 1 << 20;

std::string request_head(std::string_view method, std::string_view target, std::string_view token,
                         std::string_view extra_headers) {
  std::string head;
  head.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  head.append("Host: 127.0.0.1\r\nAuthorization: Bearer ").append(token).append("\r\n");
  head.append(extra_headers).append("\r\n");
  return head;
}

std::string item(std::string_view id) { return "/v1/attachments/" + std::string(id); }

// Feeds `parser` from `socket` until `enough` says so; `pending` holds bytes read and not
// yet parsed, before and after.
template <class Parser, class Enough>
void parse_from(TcpSocket& socket, Parser& parser, std::string& pending, Enough enough) {
  char buffer[kReadBytes];
  while (!enough()) {
    boost::beast::error_code ec;
    const std::size_t used = pending.empty() ? 0 : parser.put(boost::asio::buffer(pending), ec);
    pending.erase(0, used);
    if (enough()) break;
    if (ec && ec != http::error::need_more)
      throw std::runtime_error("bad HTTP reply: " + ec.message());
    if (used > 0 && !pending.empty()) continue;
    const std::size_t got = socket.receive_some(buffer, sizeof buffer);
    if (got == 0) throw std::runtime_error("the server closed the connection mid-reply");
    pending.append(buffer, got);
  }
}

http::response<http::string_body> read_reply(TcpSocket& socket) {
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(kMaxReplyBodyBytes);
  std::string pending;
  parse_from(socket, parser, pending, [&] { return parser.is_done(); });
  return parser.release();
}

void expect(const http::response<http::string_body>& reply, http::status status,
            std::string_view what) {
  if (reply.result() != status) {
    throw std::runtime_error(std::string(what) + ": HTTP " + std::to_string(reply.result_int()) +
                             " " + reply.body());
  }
}

}  // namespace

AttachmentClient::AttachmentClient(std::uint16_t port, std::chrono::milliseconds idle_timeout)
    : port_(port), idle_timeout_(idle_timeout) {}

std::string AttachmentClient::create(std::string_view token, std::uint64_t size) {
  TcpSocket socket = TcpSocket::connect_loopback(port_, idle_timeout_);
  socket.send_all(request_head("POST", "/v1/attachments", token,
                               "Upload-Length: " + std::to_string(size) + "\r\n"));
  const auto reply = read_reply(socket);
  expect(reply, http::status::created, "create");
  const auto body = nlohmann::json::parse(reply.body(), nullptr, false);
  if (!body.is_object() || !body.contains("id") || !body["id"].is_string()) {
    throw std::runtime_error("create: a reply without an id: " + reply.body());
  }
  return body["id"].get<std::string>();
}

void AttachmentClient::upload(std::string_view token, std::string_view id, std::uint64_t size,
                              std::string_view pattern) {
  TcpSocket socket = TcpSocket::connect_loopback(port_, idle_timeout_);
  socket.send_all(
      request_head("PATCH", item(id), token,
                   "Upload-Offset: 0\r\nContent-Length: " + std::to_string(size) + "\r\n"));
  for (std::uint64_t sent = 0; sent < size;) {
    if (interrupted()) throw std::runtime_error("interrupted");
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(pattern.size(), size - sent));
    socket.send_all(pattern.substr(0, n));
    sent += n;
  }
  const auto reply = read_reply(socket);
  expect(reply, http::status::no_content, "upload");
  if (reply["Upload-Offset"] != std::to_string(size)) {
    throw std::runtime_error("upload: the server holds " + std::string(reply["Upload-Offset"]) +
                             " bytes of " + std::to_string(size));
  }
}

nlohmann::json AttachmentClient::finish(std::string_view token, std::string_view id) {
  TcpSocket socket = TcpSocket::connect_loopback(port_, idle_timeout_);
  socket.send_all(request_head("POST", item(id) + "/finish", token, ""));
  const auto reply = read_reply(socket);
  expect(reply, http::status::ok, "finish");
  return nlohmann::json::parse(reply.body(), nullptr, false);
}

std::uint64_t AttachmentClient::download(std::string_view token, std::string_view id,
                                         std::size_t chunk_bytes) {
  TcpSocket socket = TcpSocket::connect_loopback(port_, idle_timeout_);
  socket.send_all(request_head("GET", item(id), token, ""));
  // Only the header goes through Beast's parser; the body is read straight off the socket,
  // as the download baseline reads it, so that the two differ only on the server's side.
  http::response_parser<http::empty_body> parser;
  std::string pending;
  parse_from(socket, parser, pending, [&] { return parser.is_header_done(); });
  if (parser.get().result() != http::status::ok) {
    throw std::runtime_error("download: HTTP " + std::to_string(parser.get().result_int()));
  }
  const auto length = parser.content_length();
  if (!length) throw std::runtime_error("download: no Content-Length");
  std::uint64_t received = pending.size();
  const auto buffer = std::make_unique<char[]>(chunk_bytes);
  while (received < *length) {
    const std::size_t got = socket.receive_some(buffer.get(), chunk_bytes);
    if (got == 0) break;
    received += got;
  }
  if (received != *length) {
    throw std::runtime_error("download: received " + std::to_string(received) + " bytes of " +
                             std::to_string(*length));
  }
  return received;
}

std::optional<std::string> AttachmentClient::fetch(std::string_view token, std::string_view id,
                                                   std::uint64_t max_bytes) {
  TcpSocket socket = TcpSocket::connect_loopback(port_, idle_timeout_);
  socket.send_all(request_head("GET", item(id), token, ""));
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(max_bytes);
  std::string pending;
  parse_from(socket, parser, pending, [&] { return parser.is_done(); });
  auto reply = parser.release();
  if (reply.result() == http::status::not_found) return std::nullopt;
  expect(reply, http::status::ok, "fetch");
  return std::move(reply.body());
}

void AttachmentClient::remove(std::string_view token, std::string_view id) {
  TcpSocket socket = TcpSocket::connect_loopback(port_, idle_timeout_);
  socket.send_all(request_head("DELETE", item(id), token, ""));
  expect(read_reply(socket), http::status::no_content, "delete");
}

}  // namespace xchat::bench
