#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/ws_client.hpp"
#include "xchat/status.hpp"

namespace xchat::client {

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty when the body went to a sink

  // The value of header `name` (any case); empty when there is none.
  std::string header(std::string_view name) const;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", "PATCH", "DELETE"
  std::string target;  // "/v1/attachments/ID"
  std::vector<std::pair<std::string, std::string>> headers;
  // A body of `body_length` bytes (0: none), sent chunked and handed over by `body` piece
  // by piece: each call gives the next bytes, at least one and no more than are left; the
  // view must stay valid until the next call. An error from it ends the request with that
  // error.
  std::uint64_t body_length = 0;
  std::function<Result<std::string_view>()> body;
};

// Takes a successful (2xx) response's body piece by piece as it arrives, with the
// response's status and headers (its body left empty); an error from it ends the request
// with that error.
using BodySink = std::function<Status(const HttpResponse& head, std::string_view piece)>;

// A blocking HTTP/1.1 client on Beast, for the attachment transfers: plain TCP or TLS (as
// ConnectOptions::tls says), one connection kept alive between requests. Bodies stream in
// both directions through a buffer of kBufferBytes, so a file of any size passes without
// being held. Every network step — connecting, each write, each read — must make progress
// within options.timeout; a stall, a cut or a protocol error closes the connection and
// answers kUnavailable (connect again to go on). Headers are never logged or put in error
// messages (they carry bearer tokens). Not thread-safe: one owner.
class HttpClient {
 public:
  // The most of a body held at once while streaming.
  static constexpr std::size_t kBufferBytes = 64 * 1024;
  // The largest body read whole (error replies and JSON results); a longer one is refused.
  static constexpr std::size_t kMaxBufferedBody = 64 * 1024;

  // Connects to options.host:port (and makes the TLS handshake). kUnavailable with the
  // reason when that fails.
  static Result<std::unique_ptr<HttpClient>> connect(std::uint16_t port,
                                                     const ConnectOptions& options);
  virtual ~HttpClient() = default;

  // Sends `request` and reads the response. The body of a 2xx response goes to `sink` when
  // one is given, else into HttpResponse::body (so does every other status's body).
  // REQUIRES: is_open().
  virtual Result<HttpResponse> exchange(const HttpRequest& request, const BodySink& sink = {}) = 0;
  // False once the connection failed, or the server said it closes it.
  virtual bool is_open() const = 0;
};

}  // namespace xchat::client
