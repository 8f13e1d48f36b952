#include "service/expiry_scheduler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

namespace xchat {

ExpiryScheduler::ExpiryScheduler(boost::asio::io_context& ioc, const Settings& settings,
                                 store::Store& store, const Clock& clock, Metrics& metrics,
                                 WalCheckpointer& checkpointer, std::vector<TimedRecords> kinds)
    : settings_(settings),
      store_(store),
      clock_(clock),
      metrics_(metrics),
      checkpointer_(checkpointer),
      kinds_(std::move(kinds)),
      strand_(boost::asio::make_strand(ioc)),
      timer_(strand_) {}

store::Writer::Work ExpiryScheduler::pass_work(Pass& pass) const {
  return [this, &pass](store::Database& db) -> Status {
    const auto config = settings_.get();
    const std::int64_t now = clock_.unix_millis();
    pass = Pass{};
    pass.now = now;
    for (const auto& kind : kinds_) {
      const std::int64_t limit = kind.batch > 0 ? kind.batch : kBatch;
      auto deleted = kind.purge(db, *config, now, limit);
      if (!deleted) return deleted.status();
      if (*deleted > 0) {
        spdlog::debug("deleted {} {}", *deleted, kind.name);
        if (kind.counter != nullptr) {
          (metrics_.*kind.counter)
              .fetch_add(static_cast<std::uint64_t>(*deleted), std::memory_order_relaxed);
        }
        pass.deleted += *deleted;
        pass.secure |= kind.secure;
      }
      if (*deleted == limit) {
        pass.more = true;
        continue;
      }
      auto next = kind.next_deadline(db, *config);
      if (!next) return next.status();
      if (*next) pass.next = std::min(pass.next, **next);
    }
    return Status::ok();
  };
}

Status ExpiryScheduler::purge_now() {
  Pass pass;
  do {
    if (Status s = store_.writer().run(pass_work(pass), kDurability, kAtomicity); !s) return s;
  } while (pass.more);
  return Status::ok();
}

void ExpiryScheduler::start() {
  boost::asio::post(strand_, [this] { run(); });
}

void ExpiryScheduler::stop() {
  boost::asio::post(strand_, [this] {
    stopped_ = true;
    timer_.cancel();
  });
}

void ExpiryScheduler::reschedule() { start(); }

void ExpiryScheduler::note_deadline(std::int64_t deadline) {
  std::lock_guard lock(mu_);
  noted_ = std::min(noted_, deadline);
  // While a pass runs, its completion arms the timer from noted_ too.
  if (running_ || deadline >= armed_) return;
  armed_ = deadline;
  boost::asio::post(strand_, [this] { wait(); });
}

void ExpiryScheduler::run() {
  if (stopped_) return;
  {
    std::lock_guard lock(mu_);
    if (running_) return;
    running_ = true;
    // Whatever is committed from here on is either read by the pass or noted anew.
    noted_ = kNever;
  }
  auto pass = std::make_shared<Pass>();
  store_.writer().submit(
      pass_work(*pass),
      [this, pass](Status s) {
        // On the writer thread.
        boost::asio::post(strand_, [this, pass, s = std::move(s)] { on_pass(*pass, s); });
      },
      kDurability, kAtomicity);
}

void ExpiryScheduler::on_pass(const Pass& pass, const Status& s) {
  {
    std::lock_guard lock(mu_);
    running_ = false;
  }
  if (stopped_) return;
  if (!s) {
    spdlog::error("deleting expired records: {}", s.message());
    return arm(clock_.unix_millis() + std::chrono::milliseconds(kRetryDelay).count());
  }
  if (pass.secure) checkpointer_.request();
  if (pass.more) return run();
  arm(std::max(pass.next, pass.now + kCoalesce.count()));
}

void ExpiryScheduler::arm(std::int64_t deadline) {
  {
    std::lock_guard lock(mu_);
    armed_ = std::min(deadline, noted_);
  }
  wait();
}

void ExpiryScheduler::wait() {
  if (stopped_) return;
  std::int64_t deadline;
  {
    std::lock_guard lock(mu_);
    deadline = armed_;
  }
  const std::int64_t now = clock_.unix_millis();
  const auto sleep = deadline <= now ? std::chrono::milliseconds(0)
                                     : std::min<std::chrono::milliseconds>(
                                           std::chrono::milliseconds(deadline - now), kMaxSleep);
  timer_.expires_after(sleep);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    std::int64_t due;
    {
      std::lock_guard lock(mu_);
      due = armed_;
    }
    if (clock_.unix_millis() >= due || due == kNever) return run();
    wait();
  });
}

}  // namespace xchat
