#include "integration/support/daemon.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "integration/support/http_client.hpp"

namespace xchat::testing {

namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// exec argv with stdout/stderr appended to `log_path`; returns the child pid.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path,
            const std::vector<std::string>& extra_env) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const auto& e : extra_env) putenv(const_cast<char*>(e.c_str()));
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

std::string Daemon::config_text(const Overrides& overrides) {
  Overrides all = {
      {"listen.address", "\"127.0.0.1\""},
      {"listen.port", "0"},
      {"server.name", "\"test.xchat\""},
      {"server.threads", "2"},
      {"limits.login_failures_per_ip_per_minute", "1000"},
      {"limits.registrations_per_ip_per_hour", "100000"},
      {"log.level", "\"debug\""},
  };
  for (const auto& [k, v] : overrides) all[k] = v;
  std::map<std::string, std::vector<std::string>> sections;
  for (const auto& [k, v] : all) {
    const auto dot = k.find('.');
    sections[k.substr(0, dot)].push_back(k.substr(dot + 1) + " = " + v);
  }
  std::string text;
  for (const auto& [section, lines] : sections) {
    text += "[" + section + "]\n";
    for (const auto& l : lines) text += l + "\n";
  }
  return text;
}

Daemon::Daemon(Overrides overrides) {
  char tmpl[] = "/tmp/xchatd-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  overrides.emplace("server.data_dir", "\"" + data_dir() + "\"");
  rewrite_config(overrides);

  notify_fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sock = dir_ + "/notify.sock";
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  if (::bind(notify_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot bind notify socket " + sock);
  }
  try {
    start();
  } catch (...) {
    // A throwing constructor runs no destructor: clean up here.
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    ::close(notify_fd_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

Daemon::~Daemon() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (notify_fd_ >= 0) ::close(notify_fd_);
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void Daemon::rewrite_config(const Overrides& overrides, const std::string& raw) {
  Overrides with_dir = overrides;
  with_dir.emplace("server.data_dir", "\"" + data_dir() + "\"");
  std::ofstream(config_path(), std::ios::trunc) << (raw.empty() ? config_text(with_dir) : raw);
}

const char* xchatd_binary() {
  const char* other = std::getenv("XCHAT_TEST_XCHATD");
  return other != nullptr && *other != '\0' ? other : XCHATD_BINARY;
}

// GCC announces its sanitizers with macros, Clang through __has_feature.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define XCHAT_TESTS_INSTRUMENTED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define XCHAT_TESTS_INSTRUMENTED 1
#endif
#endif

bool daemon_is_instrumented() {
#ifdef XCHAT_TESTS_INSTRUMENTED
  return true;
#else
  return std::string_view(xchatd_binary()) != XCHATD_BINARY;
#endif
}

bool daemon_memory_is_meaningful() { return !daemon_is_instrumented(); }

void Daemon::start() {
  notifications_.clear();
  pid_ = spawn({xchatd_binary(), "--config", config_path()}, dir_ + "/xchatd.log",
               {"NOTIFY_SOCKET=" + dir_ + "/notify.sock"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  static const std::regex kListening(R"(listening on wss?://127\.0\.0\.1:(\d+)/v1/ws)");
  while (std::chrono::steady_clock::now() < deadline) {
    drain_notifications(std::chrono::milliseconds(50));
    for (const auto& n : notifications_) {
      std::smatch m;
      if (n.find("READY=1") != std::string::npos && std::regex_search(n, m, kListening)) {
        port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
        return;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("xchatd exited during startup:\n" + log());
    }
  }
  throw std::runtime_error("xchatd did not become ready in 30 s:\n" + log());
}

void Daemon::drain_notifications(std::chrono::milliseconds wait) {
  pollfd p{notify_fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(notify_fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    notifications_.emplace_back(buf, static_cast<std::size_t>(n));
  }
}

std::vector<std::string> Daemon::notifications() {
  drain_notifications(std::chrono::milliseconds(0));
  return notifications_;
}

int Daemon::stop(int signo, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signo);
  return wait_exit(timeout);
}

int Daemon::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return -1;
}

void Daemon::signal(int signo) const {
  if (pid_ > 0) ::kill(pid_, signo);
}

bool Daemon::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string Daemon::log() const { return read_file(dir_ + "/xchatd.log"); }

long Daemon::rss_kib() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int Daemon::admin(const std::vector<std::string>& args, std::string* out) const {
  // CLI11 takes the global --config before the subcommand.
  std::vector<std::string> argv = {xchatd_binary(), "--config", config_path(), "admin"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string out_path = dir_ + "/admin.out";
  std::vector<char*> cargs;
  for (const auto& a : argv) cargs.push_back(const_cast<char*>(a.c_str()));
  cargs.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open((dir_ + "/admin.err").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 1);
    dup2(err, 2);
    execv(cargs[0], cargs.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (out != nullptr) *out = read_file(out_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int Daemon::http_get(const std::string& path, std::string* body) const {
  const HttpReply reply = HttpClient(port_).request("GET", path);
  if (body != nullptr) *body = reply.body;
  return reply.status;
}

int run_command(const std::vector<std::string>& argv, std::string* output) {
  char tmpl[] = "/tmp/xchatd-cmd-XXXXXX";
  const int fd = mkstemp(tmpl);
  ::close(fd);
  const pid_t pid = spawn(argv, tmpl, {});
  int status = 0;
  waitpid(pid, &status, 0);
  if (output != nullptr) *output = read_file(tmpl);
  ::unlink(tmpl);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace xchat::testing
