#include "load/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace xchat::bench {

using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kLogTailBytes = 4000;

// The limits a benchmark would otherwise measure instead of the server: per-address budgets
// (every connection comes from 127.0.0.1), per-account send budgets, queue caps. The
// delivery window (max_unacked_envelopes) and the flow-control limits keep their defaults:
// they are part of what is measured.
std::string config_text(const ServerProcess::Options& options, const std::string& data_dir) {
  std::ostringstream c;
  c << "[listen]\naddress = \"127.0.0.1\"\nport = 0\n"
    << "[server]\nname = \"bench.xchat\"\nthreads = " << options.threads << "\ndata_dir = \""
    << data_dir << "\"\n"
    << "[limits]\n"
    << "max_connections = 10000000\n"
    << "max_connections_per_ip = 10000000\n"
    << "registrations_per_ip_per_hour = 1000000000\n"
    << "login_failures_per_ip_per_minute = 1000000000\n"
    << "sends_per_account_per_minute = 1000000000\n"
    << "max_queued_envelopes_per_device = 1000000000\n"
    << "[storage]\nsynchronous = \"" << options.synchronous
    << "\"\n"
    // Per-connection info lines would cost the server time the benchmark would then report.
    << "[log]\nlevel = \"warn\"\n";
  return c.str();
}

}  // namespace

ServerProcess::ServerProcess(const Options& options)
    : dir_("xchat-bench"), stop_timeout_(options.stop_timeout) {
  try {
    const std::string data_dir =
        options.data_dir.empty() ? dir_.path() + "/data" : options.data_dir;
    std::ofstream(dir_.path() + "/xchatd.toml") << config_text(options, data_dir);
    notify_fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string socket_path = dir_.path() + "/notify.sock";
    if (socket_path.size() >= sizeof addr.sun_path) {
      throw std::runtime_error("temporary directory path too long: " + dir_.path());
    }
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
    if (::bind(notify_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot bind notify socket " + socket_path);
    }
    spawn(options.binary);
    wait_ready(options.ready_timeout);
  } catch (...) {
    // A throwing constructor runs no destructor.
    stop();
    throw;
  }
}

ServerProcess::~ServerProcess() { stop(); }

void ServerProcess::spawn(const std::string& binary) {
  const std::string config = dir_.path() + "/xchatd.toml";
  const std::string log = dir_.path() + "/xchatd.log";
  std::vector<char*> argv = {const_cast<char*>(binary.c_str()), const_cast<char*>("--config"),
                             const_cast<char*>(config.c_str()), nullptr};
  // Everything the child needs is prepared before fork: after it, only async-signal-safe
  // calls are allowed.
  std::string notify = "NOTIFY_SOCKET=" + dir_.path() + "/notify.sock";
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).rfind("NOTIFY_SOCKET=", 0) != 0) envp.push_back(*e);
  }
  envp.push_back(notify.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();

  spawned_ = Clock::now();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the generator died before prctl
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
}

void ServerProcess::wait_ready(std::chrono::seconds timeout) {
  static const std::regex kListening(R"(listening on ws://127\.0\.0\.1:(\d+)/)");
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pollfd p{notify_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char datagram[4096];
      for (;;) {
        const ssize_t n = ::recv(notify_fd_, datagram, sizeof datagram, 0);
        if (n <= 0) break;
        const std::string state(datagram, static_cast<std::size_t>(n));
        std::smatch m;
        if (state.find("READY=1") != std::string::npos && std::regex_search(state, m, kListening)) {
          startup_seconds_ = std::chrono::duration<double>(Clock::now() - spawned_).count();
          port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
          return;
        }
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("xchatd exited during startup:\n" + log_tail());
    }
  }
  throw std::runtime_error("xchatd did not become ready within " + std::to_string(timeout.count()) +
                           " s:\n" + log_tail());
}

std::optional<double> ServerProcess::stop() {
  std::optional<double> seconds;
  if (pid_ > 0) {
    const auto signalled = Clock::now();
    ::kill(pid_, SIGTERM);
    // A stopped daemon (SIGSTOP, a debugger) acts on nothing until it is continued.
    ::kill(pid_, SIGCONT);
    const auto deadline = signalled + stop_timeout_;
    bool exited = false;
    while (!exited && Clock::now() < deadline) {
      exited = waitpid(pid_, nullptr, WNOHANG) == pid_;
      if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (exited) {
      seconds = std::chrono::duration<double>(Clock::now() - signalled).count();
    } else {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  if (notify_fd_ >= 0) {
    ::close(notify_fd_);
    notify_fd_ = -1;
  }
  return seconds;
}

std::string ServerProcess::log_tail() const {
  std::ifstream in(dir_.path() + "/xchatd.log", std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  const std::string log = s.str();
  return log.size() <= kLogTailBytes ? log : log.substr(log.size() - kLogTailBytes);
}

}  // namespace xchat::bench
