#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

#include "app/settings.hpp"
#include "metrics/metrics.hpp"
#include "service/clock.hpp"
#include "service/timed_records.hpp"
#include "service/wal_checkpointer.hpp"
#include "store/store.hpp"

namespace xchat {

// Deletes timed records (vanishing envelopes, envelopes past their retention, old send
// results, ...) when their deadlines pass, with one timer for all of them: the deadlines
// live in SQLite, each kind behind an ordered index, and the scheduler only ever holds the
// earliest one. So a million pending expiries cost no memory here and nothing at startup
// but one index probe per kind. When the timer fires, one writer operation deletes up to
// kBatch due records of every kind and reads the next deadline; more due records mean
// another operation at once, so the writer is never held for long. After deleting
// ciphertext it asks the WalCheckpointer to truncate the WAL.
//
// New deadlines reach it through note_deadline() (a send with a timer, once committed);
// only one earlier than the timer's costs a post. Deadlines are wall-clock (the injected
// Clock); the timer never sleeps longer than kMaxSleep, so a clock step or a reloaded
// retention period is noticed within it.
class ExpiryScheduler {
 public:
  static constexpr std::int64_t kBatch = 5000;  // records per kind per writer operation
  static constexpr std::chrono::seconds kMaxSleep{30};
  static constexpr std::chrono::seconds kRetryDelay{1};  // after a failed pass
  // Passes start at least this far apart: under a stream of vanishing messages, each with
  // its own deadline, one writer operation then deletes a quarter second's worth instead
  // of one message's. Deletion still follows a deadline within a second.
  static constexpr std::chrono::milliseconds kCoalesce{250};

  ExpiryScheduler(boost::asio::io_context& ioc, const Settings& settings, store::Store& store,
                  const Clock& clock, Metrics& metrics, WalCheckpointer& checkpointer,
                  std::vector<TimedRecords> kinds);

  // Deletes everything already due, blocking until done. For startup, before the
  // listener opens; never on an I/O thread.
  Status purge_now();

  // Arms the timer from the database's earliest deadline.
  void start();
  void stop();

  // Thread-safe: a record due at `deadline` (unix ms) was committed.
  void note_deadline(std::int64_t deadline);

  // Thread-safe: re-reads every deadline now (after a reload changed a period).
  void reschedule();

 private:
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();
  // A pass only deletes and reads, so it fails only on a storage error, which fails its
  // batch anyway: no savepoint (a copy of every page it deletes from). A deletion lost at a
  // power cut is done again at the next start, before the listener opens; the truncating
  // checkpoint that follows a pass syncs it in any case. So no fsync of its own either.
  static constexpr auto kDurability = store::Writer::Durability::kDeferred;
  static constexpr auto kAtomicity = store::Writer::Atomicity::kFailsBeforeWriting;

  // What one writer operation did.
  struct Pass {
    std::int64_t deleted = 0;
    bool secure = false;   // deleted ciphertext
    bool more = false;     // a kind may hold more due records
    std::int64_t now = 0;  // when it ran (unix ms)
    std::int64_t next = kNever;
  };

  store::Writer::Work pass_work(Pass& pass) const;
  void run();                                       // on strand_
  void on_pass(const Pass& pass, const Status& s);  // on strand_
  void arm(std::int64_t deadline);                  // on strand_
  void wait();                                      // on strand_

  const Settings& settings_;
  store::Store& store_;
  const Clock& clock_;
  Metrics& metrics_;
  WalCheckpointer& checkpointer_;
  const std::vector<TimedRecords> kinds_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;  // on strand_
  bool stopped_ = false;             // on strand_

  std::mutex mu_;
  std::int64_t armed_ = kNever;  // guarded by mu_: the deadline the timer waits for
  std::int64_t noted_ = kNever;  // guarded by mu_: the earliest noted since the pass began
  bool running_ = false;         // guarded by mu_: a pass is in the writer
};

}  // namespace xchat
