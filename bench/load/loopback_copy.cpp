#include "load/loopback_copy.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <memory>
#include <stdexcept>

#include "load/scenario.hpp"
#include "load/tcp_socket.hpp"

namespace xchat::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A file descriptor closed on every path out, exceptions included.
struct File {
  explicit File(int fd_in) : fd(fd_in) {}
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() {
    if (fd >= 0) ::close(fd);
  }
  int fd;
};

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

// The receiving end of the upload baseline: stores the stream at `path`, returns the bytes.
std::uint64_t receive_to_file(TcpSocket socket, const std::string& path, std::size_t chunk_bytes) {
  File file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (file.fd < 0) throw_errno("open " + path);
  const auto buffer = std::make_unique<char[]>(chunk_bytes);
  std::uint64_t offset = 0;
  for (;;) {
    const std::size_t got = socket.receive_some(buffer.get(), chunk_bytes);
    if (got == 0) return offset;
    std::size_t written = 0;
    while (written < got) {
      const ssize_t n = ::pwrite(file.fd, buffer.get() + written, got - written,
                                 static_cast<off_t>(offset + written));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("pwrite " + path);
      written += static_cast<std::size_t>(n);
    }
    offset += got;
  }
}

// The sending end of the download baseline.
void send_from_file(TcpSocket socket, const std::string& path, std::uint64_t bytes,
                    std::size_t chunk_bytes) {
  File file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.fd < 0) throw_errno("open " + path);
  const auto buffer = std::make_unique<char[]>(chunk_bytes);
  for (std::uint64_t offset = 0; offset < bytes;) {
    if (interrupted()) throw std::runtime_error("interrupted");
    const auto want =
        static_cast<std::size_t>(std::min<std::uint64_t>(chunk_bytes, bytes - offset));
    const ssize_t got = ::pread(file.fd, buffer.get(), want, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw_errno("pread " + path);
    if (got == 0) throw std::runtime_error(path + " is shorter than " + std::to_string(bytes));
    socket.send_all({buffer.get(), static_cast<std::size_t>(got)});
    offset += static_cast<std::uint64_t>(got);
  }
  socket.shut_down_sending();
}

}  // namespace

LoopbackCopy copy_socket_to_file(const std::string& path, std::uint64_t bytes,
                                 std::string_view pattern, std::chrono::milliseconds idle_timeout) {
  TcpListener listener(idle_timeout);
  LoopbackCopy copy;
  const auto start = Clock::now();
  auto received = std::async(
      std::launch::async, [&] { return receive_to_file(listener.accept(), path, pattern.size()); });
  {
    TcpSocket sender = TcpSocket::connect_loopback(listener.port(), idle_timeout);
    for (std::uint64_t sent = 0; sent < bytes;) {
      if (interrupted()) throw std::runtime_error("interrupted");
      const auto n =
          static_cast<std::size_t>(std::min<std::uint64_t>(pattern.size(), bytes - sent));
      sender.send_all(pattern.substr(0, n));
      sent += n;
    }
    sender.shut_down_sending();
    copy.bytes = received.get();  // rethrows the receiver's failure
  }
  copy.seconds = seconds_since(start);
  if (copy.bytes != bytes) {
    throw std::runtime_error("the baseline receiver stored " + std::to_string(copy.bytes) +
                             " bytes of " + std::to_string(bytes));
  }
  const auto sync_start = Clock::now();
  File file(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (file.fd < 0 || ::fdatasync(file.fd) != 0) throw_errno("fdatasync " + path);
  copy.sync_seconds = seconds_since(sync_start);
  return copy;
}

LoopbackCopy copy_file_to_socket(const std::string& path, std::uint64_t bytes,
                                 std::size_t chunk_bytes, std::chrono::milliseconds idle_timeout) {
  TcpListener listener(idle_timeout);
  LoopbackCopy copy;
  const auto start = Clock::now();
  auto sent = std::async(std::launch::async,
                         [&] { send_from_file(listener.accept(), path, bytes, chunk_bytes); });
  {
    TcpSocket receiver = TcpSocket::connect_loopback(listener.port(), idle_timeout);
    const auto buffer = std::make_unique<char[]>(chunk_bytes);
    for (std::size_t got = 1; got > 0;) {
      got = receiver.receive_some(buffer.get(), chunk_bytes);
      copy.bytes += got;
    }
    sent.get();  // rethrows the sender's failure
  }
  copy.seconds = seconds_since(start);
  if (copy.bytes != bytes) {
    throw std::runtime_error("the baseline download received " + std::to_string(copy.bytes) +
                             " bytes of " + std::to_string(bytes));
  }
  return copy;
}

}  // namespace xchat::bench
