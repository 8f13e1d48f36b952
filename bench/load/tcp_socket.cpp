#include "load/tcp_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace xchat::bench {

namespace {

[[noreturn]] void throw_errno(std::string_view what) {
  const int error = errno;
  throw std::runtime_error(
      std::string(what) + ": " +
      (error == EAGAIN || error == EWOULDBLOCK ? "timed out" : std::strerror(error)));
}

void set_timeouts(int fd, std::chrono::milliseconds idle_timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(idle_timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((idle_timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

}  // namespace

TcpSocket::TcpSocket(TcpSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

TcpSocket& TcpSocket::operator=(TcpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

TcpSocket::~TcpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

TcpSocket TcpSocket::connect_loopback(std::uint16_t port, std::chrono::milliseconds idle_timeout) {
  TcpSocket s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) throw_errno("socket");
  set_timeouts(s.fd_, idle_timeout);
  // The requests' headers must not wait behind Nagle for the body's first segment.
  const int one = 1;
  ::setsockopt(s.fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const sockaddr_in addr = loopback(port);
  if (::connect(s.fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    throw_errno("connect to 127.0.0.1:" + std::to_string(port));
  }
  return s;
}

void TcpSocket::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    // MSG_NOSIGNAL: a server that answers early and closes must not kill the generator.
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("send");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::size_t TcpSocket::receive_some(char* data, std::size_t capacity) {
  for (;;) {
    const ssize_t n = ::recv(fd_, data, capacity, 0);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) throw_errno("recv");
  }
}

void TcpSocket::shut_down_sending() { ::shutdown(fd_, SHUT_WR); }

TcpListener::TcpListener(std::chrono::milliseconds idle_timeout) : idle_timeout_(idle_timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw_errno("socket");
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 1) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int error = errno;
    ::close(fd_);
    errno = error;
    throw_errno("listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
}

TcpListener::~TcpListener() { ::close(fd_); }

TcpSocket TcpListener::accept() {
  pollfd p{fd_, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(idle_timeout_.count()));
  if (ready == 0) throw std::runtime_error("accept: no connection within the timeout");
  if (ready < 0) throw_errno("poll");
  TcpSocket s(::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC));
  if (!s.valid()) throw_errno("accept");
  set_timeouts(s.fd_, idle_timeout_);
  return s;
}

}  // namespace xchat::bench
