#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xchat::testing {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  int status = 0;  // 0: no response (the connection failed or closed first)
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string header(const std::string& lower_name) const;
  nlohmann::json json() const;     // the body parsed; null when it is not JSON
  std::string error_code() const;  // the JSON body's error.code, or ""
};

// A raw HTTP/1.1 client on loopback, for the attachment endpoints. Each call makes a
// new connection to 127.0.0.1:`port` and closes it afterwards. Every socket operation
// is bounded by a 30 s deadline.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : port_(port) {}

  // `method` as on the wire ("GET", "PATCH", ...). A non-empty `body` gets a
  // Content-Length.
  HttpReply request(const std::string& method, const std::string& target,
                    const HttpHeaders& headers = {}, const std::string& body = "") const;

  // Fills the buffer with the body's bytes [offset, offset + n).
  using Source = std::function<void(std::int64_t offset, char* out, std::size_t n)>;

  // A PATCH whose body, bytes [from, to) of `source`, is streamed with Content-Length
  // to - from (or chunked when `chunked`). With `cut_after`, the connection is closed
  // after sending that many body bytes and no reply is read (status 0).
  HttpReply upload(const std::string& target, const HttpHeaders& headers, const Source& source,
                   std::int64_t from, std::int64_t to, bool chunked = false,
                   std::optional<std::int64_t> cut_after = std::nullopt) const;

  // A GET whose body goes to `sink` as it arrives rather than into the reply. With
  // `cut_after`, the connection is closed after that many body bytes.
  HttpReply download(const std::string& target, const HttpHeaders& headers,
                     const std::function<void(const char*, std::size_t)>& sink,
                     std::optional<std::int64_t> cut_after = std::nullopt) const;

 private:
  std::uint16_t port_;
};

}  // namespace xchat::testing
