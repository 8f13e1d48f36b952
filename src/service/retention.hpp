#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "app/settings.hpp"
#include "service/clock.hpp"
#include "store/store.hpp"

namespace xchat {

// Deletes what the server must not keep: envelopes undelivered after
// messages.max_retention_days, and send results past messages.dedup_window_hours. Runs at
// startup, before the listener opens, and then every kInterval, in batches small enough
// that the store writer is never held up for long.
class Retention {
 public:
  static constexpr std::chrono::minutes kInterval{10};
  static constexpr std::int64_t kBatch = 5000;  // rows per table per writer operation

  Retention(boost::asio::io_context& ioc, const Settings& settings, store::Store& store,
            const Clock& clock)
      : settings_(settings), store_(store), clock_(clock), timer_(ioc) {}

  // Purges everything due, blocking until done. For startup, not an I/O thread.
  Status purge_now();

  // Purges every kInterval from now on, until stop().
  void start();
  void stop() { timer_.cancel(); }

 private:
  // One writer operation: deletes up to kBatch due rows of each table; *more is set when
  // a table may hold more.
  store::Writer::Work batch(bool* more) const;
  void schedule();
  void run_batches();

  const Settings& settings_;
  store::Store& store_;
  const Clock& clock_;
  boost::asio::steady_timer timer_;
};

}  // namespace xchat
