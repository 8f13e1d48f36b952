#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace xchat::bench {

// A blocking TCP socket on 127.0.0.1 for the byte-stream benchmarks (attachments mode),
// where one thread per stream is simplest and costs nothing measurable: the bytes, not the
// event loop, are the work. Every send and receive is bounded by the idle timeout given at
// creation (SO_SNDTIMEO/SO_RCVTIMEO), so a stalled peer ends a transfer instead of hanging
// it. Owns its descriptor; not thread-safe (one thread sends or receives at a time).
class TcpSocket {
 public:
  TcpSocket() = default;
  TcpSocket(TcpSocket&& other) noexcept;
  TcpSocket& operator=(TcpSocket&& other) noexcept;
  ~TcpSocket();

  // Connects to 127.0.0.1:port. Throws std::runtime_error when it cannot.
  static TcpSocket connect_loopback(std::uint16_t port, std::chrono::milliseconds idle_timeout);

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Writes all of `bytes`. Throws std::runtime_error on an error or the idle timeout.
  void send_all(std::string_view bytes);
  // Reads at most `capacity` bytes; 0 means the peer closed. Throws like send_all.
  std::size_t receive_some(char* data, std::size_t capacity);
  // Half-closes the sending side, so the peer reads the end of the stream.
  void shut_down_sending();

 private:
  explicit TcpSocket(int fd) : fd_(fd) {}
  friend class TcpListener;
  int fd_ = -1;
};

// A listening socket on 127.0.0.1, ephemeral port. Owns its descriptor.
class TcpListener {
 public:
  // Throws std::runtime_error when it cannot listen.
  explicit TcpListener(std::chrono::milliseconds idle_timeout);
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;
  ~TcpListener();

  std::uint16_t port() const { return port_; }
  // Waits up to the idle timeout for one connection. Throws when none comes.
  TcpSocket accept();

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::chrono::milliseconds idle_timeout_;
};

}  // namespace xchat::bench
