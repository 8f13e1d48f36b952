#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace xchat::client {

using namespace std::chrono_literals;

struct ConnectOptions {
  std::string host = "127.0.0.1";  // a name (resolved; every address is tried) or an address
  std::string target = "/v1/ws";
  std::map<std::string, std::string> headers;  // extra upgrade request headers (Origin, ...)
  bool tls = false;                            // wss://
  // With tls: check the server's certificate chain and that it names `host` (the default).
  // Off only for tests against a throwaway certificate.
  bool verify_peer = true;
  std::string ca_file;        // trust these CAs instead of the system's
  std::string local_address;  // bind before connect, e.g. "127.0.0.2"
  int receive_buffer = 0;     // SO_RCVBUF before connect when > 0
  std::chrono::milliseconds timeout = 10s;
};

// A blocking WebSocket client built on Beast: for the xchat CLI, and for the tests that
// drive a real xchatd. Every operation is bounded by a timeout. A read that times out
// leaves the connection usable (the read stays pending for the next call); any other
// operation that times out closes it. Not thread-safe: one owner.
class WsClient {
 public:
  // Connects to options.host:port and upgrades. Returns null on failure, with the reason
  // (and the HTTP status of a refused upgrade, when there was one) in `error` /
  // `http_status`.
  static std::unique_ptr<WsClient> connect(std::uint16_t port, const ConnectOptions& options = {},
                                           std::string* error = nullptr,
                                           int* http_status = nullptr);
  virtual ~WsClient() = default;

  virtual bool send_text(const std::string& text, std::chrono::milliseconds timeout = 10s) = 0;
  virtual bool send_binary(const std::string& bytes, std::chrono::milliseconds timeout = 10s) = 0;
  // The next text frame, or nullopt on timeout (the connection stays usable) or close.
  virtual std::optional<std::string> read_text(std::chrono::milliseconds timeout = 10s) = 0;
  // Reads (and discards) frames until the server closes; returns its close code, or
  // nullopt on timeout or when the connection died without a close frame.
  virtual std::optional<int> wait_close(std::chrono::milliseconds timeout = 10s) = 0;
  // Sends a close frame with `code` and waits for the server's.
  virtual void close(int code = 1000) = 0;
  virtual bool is_open() const = 0;
  // The close code the server sent, once it has closed the connection with one.
  virtual std::optional<int> close_code() const = 0;

  // Next frame parsed as JSON (nullopt on timeout, close or bad JSON).
  std::optional<nlohmann::json> read_json(std::chrono::milliseconds timeout = 10s);

  // Sends `request` (an "id" is assigned when absent) and returns the reply with the same
  // id. Pushes read meanwhile are kept in pushes(). Returns a JSON null on timeout.
  nlohmann::json request(nlohmann::json request, std::chrono::milliseconds timeout = 10s);

  std::vector<nlohmann::json>& pushes() { return pushes_; }

 private:
  std::vector<nlohmann::json> pushes_;
  std::int64_t next_id_ = 1;
};

}  // namespace xchat::client
