#include "app/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <csignal>

#include "app/logging.hpp"
#include "app/store_options.hpp"
#include "xchat/version.hpp"

namespace xchat {

namespace {

// How long shutdown waits for clients to complete the WebSocket close handshake.
constexpr std::chrono::seconds kShutdownGrace{3};

Result<std::unique_ptr<boost::asio::ssl::context>> make_tls(const TlsConfig& tls) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(tls.cert, ec);
  if (ec) return Status(ErrorCode::kInternal, "tls.cert " + tls.cert + ": " + ec.message());
  ctx->use_private_key_file(tls.key, ssl::context::pem, ec);
  if (ec) return Status(ErrorCode::kInternal, "tls.key " + tls.key + ": " + ec.message());
  return ctx;
}

}  // namespace

Server::Server(Config config, std::string config_path)
    : config_path_(std::move(config_path)), settings_(std::move(config)) {}

Server::~Server() = default;

int Server::run() {
  const auto config = settings_.get();

  auto options = store_options(*config);
  // A large database takes seconds to check from a cold cache: after a clean shutdown the
  // check runs while the server already serves (check_integrity below).
  options.check = store::Store::Check::kDeferredUnlessUnclean;
  auto store = store::Store::open(options, &metrics_);
  if (!store) {
    spdlog::critical("{}", store.status().message());
    return 1;
  }
  store_ = std::move(*store);

  if (config->tls.enabled()) {
    auto tls = make_tls(config->tls);
    if (!tls) {
      spdlog::critical("{}", tls.status().message());
      return 1;
    }
    tls_ = std::move(*tls);
  }

  // Whatever vanished or outlived its retention while the server was down goes before
  // anyone connects, and the WAL forgets it too.
  checkpointer_ = std::make_unique<WalCheckpointer>(ioc_, settings_, *store_, metrics_);
  expiry_ = std::make_unique<ExpiryScheduler>(ioc_, settings_, *store_, clock_, metrics_,
                                              *checkpointer_, messaging_timed_records());
  if (Status s = expiry_->purge_now(); !s) {
    spdlog::critical("deleting expired records: {}", s.message());
    store_->close();
    return 1;
  }
  services_ = std::make_unique<Services>(settings_, *store_, clock_, metrics_, registry_, *expiry_,
                                         *checkpointer_);
  if (Status s = services_->attachments().prepare_files(); !s) {
    spdlog::critical("attachment files: {}", s.message());
    store_->close();
    return 1;
  }
  if (Status s = checkpointer_->checkpoint_now(); !s) {
    spdlog::warn("WAL checkpoint at startup: {}", s.message());
  }

  net_ = std::make_unique<net::NetContext>(
      net::NetContext{settings_, metrics_, services_->dispatcher(), services_->attachments(),
                      registry_, limiter_, tls_.get(), [this] {
                        auto reader = store_->readers().acquire();
                        return reader.is_ok() && (*reader)->scalar("SELECT 1").is_ok();
                      }});

  const auto endpoint = boost::asio::ip::tcp::endpoint(
      boost::asio::ip::make_address(config->listen.address), config->listen.port);
  auto listener = net::Listener::open(ioc_, endpoint, *net_);
  if (!listener) {
    spdlog::critical("{}", listener.status().message());
    store_->close();
    return 1;
  }
  listener_ = *listener;

  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  signals_.add(SIGHUP);
  wait_for_signal();
  listener_->run();
  expiry_->start();
  checkpointer_->start();
  integrity_check_ = std::thread([this] {
    Status s = store_->check_integrity();
    if (s.code() == ErrorCode::kUnavailable) {
      // Not a verdict (shutdown cancelled it, or the file was busy): every start without a
      // WAL left behind defers the check again, so it is not lost.
      spdlog::info("integrity check did not finish ({}); it runs at the next start", s.message());
    } else if (!s) {
      spdlog::critical("{}; shutting down", s.message());
      boost::asio::post(ioc_, [this] {
        exit_code_ = 1;
        shutdown();
      });
    }
  });
  if (auto interval = notifier_.watchdog_interval()) schedule_watchdog(*interval);

  const auto bound = listener_->local_endpoint();
  const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                   : bound.address().to_string();
  const std::string url = std::string(tls_ ? "wss" : "ws") + "://" + host + ":" +
                          std::to_string(bound.port()) + "/v1/ws";
  spdlog::info("xchatd {} listening on {} (data in {})", kVersion, url, config->server.data_dir);
  notifier_.ready("listening on " + url);

  const int threads = config->server.threads > 0
                          ? config->server.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (auto& t : pool) t.join();
  integrity_check_.join();

  store_->close();
  spdlog::info("xchatd stopped");
  return exit_code_;
}

void Server::wait_for_signal() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      reload();
    } else {
      spdlog::info("received {}; shutting down", signo == SIGTERM ? "SIGTERM" : "SIGINT");
      shutdown();
    }
    wait_for_signal();
  });
}

void Server::reload() {
  notifier_.reloading();
  auto next = load_config(config_path_);
  if (!next) {
    spdlog::error("reload rejected, keeping the running configuration: {}",
                  next.status().message());
    // systemd waits for READY=1 after RELOADING=1 either way; STATUS tells the outcome.
    notifier_.ready("reload rejected: " + next.status().message());
    return;
  }
  std::vector<std::string> needs_restart;
  Config merged = merge_reloadable(*settings_.get(), *next, &needs_restart);
  for (const auto& section : needs_restart) {
    spdlog::warn("reload: changes to [{}] take effect after a restart", section);
  }
  // Said before the new level applies, so the confirmation is logged even when that level
  // is stricter than info.
  spdlog::info("configuration reloaded from {}", config_path_);
  set_log_level(merged.log.level);
  settings_.set(std::move(merged));
  expiry_->reschedule();  // retention periods may have changed
  notifier_.ready("configuration reloaded");
}

void Server::shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  notifier_.stopping();
  store_->cancel_integrity_check();
  listener_->stop();
  for (auto& session : registry_.all()) {
    session->close(net::CloseCode::kGoingAway, "server shutting down");
  }
  await_sessions_closed(std::chrono::steady_clock::now() + kShutdownGrace);
}

void Server::await_sessions_closed(std::chrono::steady_clock::time_point deadline) {
  if (registry_.size() == 0 || std::chrono::steady_clock::now() >= deadline) {
    if (registry_.size() > 0) {
      spdlog::warn("{} sessions did not finish closing; dropping them", registry_.size());
    }
    signals_.cancel();
    watchdog_timer_.cancel();
    expiry_->stop();
    checkpointer_->stop();
    ioc_.stop();
    return;
  }
  shutdown_timer_.expires_after(std::chrono::milliseconds(20));
  shutdown_timer_.async_wait([this, deadline](boost::system::error_code ec) {
    if (!ec) await_sessions_closed(deadline);
  });
}

void Server::schedule_watchdog(std::chrono::microseconds interval) {
  notifier_.watchdog();
  watchdog_timer_.expires_after(interval);
  watchdog_timer_.async_wait([this, interval](boost::system::error_code ec) {
    if (!ec) schedule_watchdog(interval);
  });
}

}  // namespace xchat
