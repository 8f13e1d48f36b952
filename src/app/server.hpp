#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/services.hpp"
#include "app/settings.hpp"
#include "app/systemd_notifier.hpp"
#include "metrics/metrics.hpp"
#include "net/connection_limiter.hpp"
#include "net/listener.hpp"
#include "net/net_context.hpp"
#include "net/session_registry.hpp"
#include "service/clock.hpp"
#include "service/expiry_scheduler.hpp"
#include "service/wal_checkpointer.hpp"
#include "store/store.hpp"

namespace xchat {

// The composition root: opens the store, builds the services (app/services.hpp) and the
// network side, runs the io_context on `server.threads` threads, and handles signals —
// SIGTERM/SIGINT shut down gracefully, SIGHUP reloads the reloadable settings.
class Server {
 public:
  Server(Config config, std::string config_path);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // Opens the store, listens, serves until a shutdown signal. Returns the exit code.
  int run();

 private:
  void wait_for_signal();
  void reload();
  void shutdown();
  void await_sessions_closed(std::chrono::steady_clock::time_point deadline);
  void schedule_watchdog(std::chrono::microseconds interval);

  const std::string config_path_;
  Settings settings_;
  SystemClock clock_;
  Metrics metrics_;
  SystemdNotifier notifier_;
  net::SessionRegistry registry_;
  net::ConnectionLimiter limiter_{metrics_};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<net::NetContext> net_;
  // Declared after everything sessions use, so it is destroyed before them: abandoned
  // handlers own sessions, whose destructors still use the registry and metrics above.
  // The members below own timers on it and go first.
  boost::asio::io_context ioc_;
  boost::asio::signal_set signals_{ioc_};
  boost::asio::steady_timer shutdown_timer_{ioc_};
  boost::asio::steady_timer watchdog_timer_{ioc_};
  std::unique_ptr<WalCheckpointer> checkpointer_;
  std::unique_ptr<ExpiryScheduler> expiry_;
  std::shared_ptr<net::Listener> listener_;
  std::thread integrity_check_;  // Store::check_integrity, started once listening
  int exit_code_ = 0;            // 1 when the integrity check failed
  bool shutting_down_ = false;
};

}  // namespace xchat
