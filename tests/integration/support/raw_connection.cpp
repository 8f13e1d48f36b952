#include "integration/support/raw_connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>
#include <utility>
#include <vector>

namespace xchat::testing {

namespace {

using Clock = std::chrono::steady_clock;

int millis_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, millis_left(deadline));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

}  // namespace

RawConnection::RawConnection(std::uint16_t port, const std::string& local_address,
                             std::chrono::milliseconds timeout)
    : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
  if (fd_ < 0) return;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  if (::inet_pton(AF_INET, local_address.c_str(), &local.sin_addr) != 1 ||
      ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    return;
  }
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(port);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) == 0) {
    connected_ = true;
    return;
  }
  if (errno != EINPROGRESS || !wait_for(fd_, POLLOUT, Clock::now() + timeout)) return;
  int error = 0;
  socklen_t size = sizeof error;
  connected_ = ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0;
}

RawConnection::RawConnection(RawConnection&& other) noexcept { *this = std::move(other); }

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    connected_ = std::exchange(other.connected_, false);
    peer_closed_ = std::exchange(other.peer_closed_, false);
  }
  return *this;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(std::string_view data, std::chrono::milliseconds timeout) {
  if (!connected_) return false;
  const auto deadline = Clock::now() + timeout;
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd_, POLLOUT, deadline)) return false;
    } else {
      return false;
    }
  }
  return true;
}

bool RawConnection::send_slowly(std::string_view data, std::chrono::milliseconds interval) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(interval);
    if (!send(data.substr(i, 1))) return false;
  }
  return true;
}

void RawConnection::shutdown_send() { ::shutdown(fd_, SHUT_WR); }

std::string RawConnection::read_head(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string head;
  char c = 0;
  // A byte at a time, so that nothing after the head (a WebSocket frame) is consumed.
  while (connected_ && !peer_closed_ && head.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    if (n == 1) {
      head.push_back(c);
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      peer_closed_ = true;
    } else if (!wait_for(fd_, POLLIN, deadline)) {
      break;
    }
  }
  return head;
}

bool RawConnection::closed_by_peer_within(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  char buf[4096];
  while (connected_ && !peer_closed_) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      peer_closed_ = true;
    } else if (n < 0 && !wait_for(fd_, POLLIN, deadline)) {
      break;
    }
  }
  return peer_closed_;
}

std::string RawConnection::upgrade_request() {
  return "GET /v1/ws HTTP/1.1\r\n"
         "Host: 127.0.0.1\r\n"
         "Upgrade: websocket\r\n"
         "Connection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         "Sec-WebSocket-Version: 13\r\n"
         "\r\n";
}

std::size_t count_closed_by_peer(std::span<RawConnection> connections,
                                 std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<pollfd> fds;
  std::vector<RawConnection*> open;
  std::size_t closed = 0;
  for (;;) {
    fds.clear();
    open.clear();
    closed = 0;
    for (auto& c : connections) {
      if (c.closed_by_peer_within(std::chrono::milliseconds(0))) {
        ++closed;
      } else if (c.connected()) {
        fds.push_back({c.fd(), POLLIN, 0});
        open.push_back(&c);
      }
    }
    if (open.empty() || Clock::now() >= deadline) return closed;
    const int ready = ::poll(fds.data(), fds.size(), millis_left(deadline));
    if (ready == 0 || (ready < 0 && errno != EINTR)) return closed;
  }
}

std::uint64_t raise_open_files_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

}  // namespace xchat::testing
