#include "service/wal_checkpointer.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <future>

namespace xchat {

Status WalCheckpointer::checkpoint_now() {
  std::promise<Status> done;
  store_.writer().checkpoint([&done](Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

void WalCheckpointer::start() {
  boost::asio::post(strand_, [this] { schedule(); });
}

void WalCheckpointer::stop() {
  boost::asio::post(strand_, [this] {
    stopped_ = true;
    interval_timer_.cancel();
    soon_timer_.cancel();
  });
}

void WalCheckpointer::request() {
  if (pending_.exchange(true)) return;
  boost::asio::post(strand_, [this] {
    if (stopped_) return;
    soon_timer_.expires_at(last_start_ + kMinSpacing);
    soon_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && !stopped_) submit();
    });
  });
}

void WalCheckpointer::submit() {
  last_start_ = std::chrono::steady_clock::now();
  store_.writer().checkpoint([this](Status s) {
    // On the writer thread.
    pending_.store(false);
    if (s) {
      metrics_.wal_checkpoints.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    metrics_.wal_checkpoints_failed.fetch_add(1, std::memory_order_relaxed);
    boost::asio::post(strand_, [this, s = std::move(s)] {
      if (stopped_) return;  // the writer refuses work while the server shuts down
      spdlog::warn("WAL checkpoint: {}; trying again", s.message());
      request();
    });
  });
}

void WalCheckpointer::schedule() {
  interval_timer_.expires_after(
      std::chrono::seconds(settings_.get()->storage.checkpoint_interval_seconds));
  interval_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    request();
    schedule();
  });
}

}  // namespace xchat
