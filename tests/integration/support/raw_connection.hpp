#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace xchat::testing {

// A bare TCP connection to the daemon, for clients no WebSocket library would write: ones
// that never finish their HTTP request, send it a byte at a time, close only their sending
// half, or upgrade and then never read again. Every operation is bounded by a timeout.
// The socket is non-blocking; not thread-safe: one owner.
class RawConnection {
 public:
  // Connects from `local_address` (any address in 127.0.0.0/8: the daemon sees a client
  // address with budgets of its own) to 127.0.0.1:port within `timeout`.
  RawConnection(std::uint16_t port, const std::string& local_address = "127.0.0.1",
                std::chrono::milliseconds timeout = std::chrono::seconds(5));
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection();

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  // Sends all of `data` within `timeout`; false when the peer is gone or it did not fit.
  bool send(std::string_view data, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Sends `data` one byte every `interval` (a slowloris client); false as send().
  bool send_slowly(std::string_view data, std::chrono::milliseconds interval);
  // Closes the sending half: the server reads end-of-stream, the socket stays open.
  void shutdown_send();

  // Whatever the server sent within `timeout`, up to the first `\r\n\r\n` (an HTTP
  // response head) or until the server closes.
  std::string read_head(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True once the server has closed the connection (end of stream or reset) within
  // `timeout`; anything it sends first is read and discarded.
  bool closed_by_peer_within(std::chrono::milliseconds timeout);

  // A WebSocket upgrade request for /v1/ws, as a client library would send it.
  static std::string upgrade_request();

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool peer_closed_ = false;
};

// How many of `connections` the server closes within `timeout`, waiting on all of them at
// once (anything they are sent is discarded). Closed ones stay counted: call it again to
// wait longer.
std::size_t count_closed_by_peer(std::span<RawConnection> connections,
                                 std::chrono::milliseconds timeout);

// Raises this process's soft limit on open files to its hard limit, so that a test can
// hold thousands of sockets (and a daemon it starts afterwards inherits the limit).
// Returns the new soft limit.
std::uint64_t raise_open_files_limit();

}  // namespace xchat::testing
