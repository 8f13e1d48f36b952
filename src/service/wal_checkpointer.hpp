#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "app/settings.hpp"
#include "metrics/metrics.hpp"
#include "store/store.hpp"

namespace xchat {

// Truncates the WAL (store::Database::checkpoint_truncate through the writer) every
// storage.checkpoint_interval_seconds, and soon after anything asks: deleted rows are
// zeroed in the database file by secure_delete, but their old page images stay in the WAL
// until a truncating checkpoint, so whoever deletes ciphertext that must not be
// recoverable (vanished, unsent, expired) calls request(). Requests coalesce: at most one
// checkpoint is pending, and checkpoints start at least kMinSpacing apart, so a stream of
// deletions costs one checkpoint a second, not one each. One that a reader blocked is
// tried again kMinSpacing later.
class WalCheckpointer {
 public:
  static constexpr std::chrono::seconds kMinSpacing{1};

  WalCheckpointer(boost::asio::io_context& ioc, const Settings& settings, store::Store& store,
                  Metrics& metrics)
      : settings_(settings),
        store_(store),
        metrics_(metrics),
        strand_(boost::asio::make_strand(ioc)),
        interval_timer_(strand_),
        soon_timer_(strand_) {}

  // Checkpoints and waits for it. For startup, never on an I/O thread.
  Status checkpoint_now();

  // Starts the periodic checkpoints.
  void start();
  void stop();

  // Thread-safe, cheap when a checkpoint is already pending.
  void request();

 private:
  void schedule();  // on strand_
  void submit();    // on strand_: hands the checkpoint to the writer

  const Settings& settings_;
  store::Store& store_;
  Metrics& metrics_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer interval_timer_;  // on strand_
  boost::asio::steady_timer soon_timer_;      // on strand_: the requested checkpoint
  bool stopped_ = false;                      // on strand_
  std::chrono::steady_clock::time_point last_start_;  // on strand_
  std::atomic<bool> pending_{false};  // requested and not finished yet
};

}  // namespace xchat
