#include "integration/support/cutting_relay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace xchat::testing {

namespace {

// How often the threads look up from poll() to notice the relay stopping.
constexpr int kPollMs = 50;

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

CuttingRelay::CuttingRelay(std::uint16_t target_port, Direction direction,
                           std::uint64_t after_bytes, int cuts)
    : target_port_(target_port),
      direction_(direction),
      after_bytes_(after_bytes),
      cuts_left_(cuts) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listener_, 64) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const std::string why = std::strerror(errno);
    if (listener_ >= 0) ::close(listener_);
    throw std::runtime_error("relay: cannot listen on loopback: " + why);
  }
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

CuttingRelay::~CuttingRelay() {
  stopping_ = true;
  acceptor_.join();
  std::lock_guard lock(mutex_);
  for (auto& t : connections_) t.join();
}

std::uint64_t CuttingRelay::bytes(Direction direction) const {
  return direction == Direction::kUpstream ? upstream_.load() : downstream_.load();
}

void CuttingRelay::refuse_new() { refusing_ = true; }

void CuttingRelay::accept_loop() {
  while (!stopping_ && !refusing_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in target = loopback(target_port_);
    if (server < 0 ||
        ::connect(server, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
      if (server >= 0) ::close(server);
      ::close(client);
      continue;
    }
    std::lock_guard lock(mutex_);
    connections_.emplace_back([this, client, server] { relay(client, server); });
  }
  ::close(listener_);
}

void CuttingRelay::relay(int client, int server) {
  std::uint64_t carried = 0;  // in direction_, on this connection
  char buffer[64 * 1024];
  bool open = true;
  while (open && !stopping_) {
    pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (::poll(p, 2, kPollMs) <= 0) continue;
    for (int i = 0; i < 2 && open; ++i) {
      if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const bool upstream = i == 0;
      const ssize_t n = ::recv(p[i].fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        open = false;
        break;
      }
      std::size_t pass = static_cast<std::size_t>(n);
      bool cut = false;
      if ((direction_ == Direction::kUpstream) == upstream) {
        if (carried + pass >= after_bytes_ && cuts_left_.load() > 0 &&
            cuts_left_.fetch_sub(1) > 0) {
          pass = static_cast<std::size_t>(after_bytes_ - std::min(carried, after_bytes_));
          cut = true;
        }
        carried += pass;
      }
      (upstream ? upstream_ : downstream_) += pass;
      if (!write_all(upstream ? server : client, buffer, pass)) open = false;
      if (cut) {
        ++cuts_made_;
        open = false;
      }
    }
  }
  ::close(client);
  ::close(server);
}

}  // namespace xchat::testing
