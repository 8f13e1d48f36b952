#include "store/writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "metrics/metrics.hpp"
#include "store/free_space_gate.hpp"

namespace xchat::store {

namespace {

// The status of every operation of a batch that `cause` undid: kStorageFull stays what it
// is (the client may retry once space returns), anything else is a fault.
Status batch_failed(const Status& cause, std::string_view why) {
  const ErrorCode code =
      cause.code() == ErrorCode::kStorageFull ? ErrorCode::kStorageFull : ErrorCode::kInternal;
  return Status(code, "the batch was rolled back: " + std::string(why) + ": " + cause.message());
}

constexpr const char* kSavepoint = "SAVEPOINT op";
constexpr const char* kRelease = "RELEASE op";
constexpr const char* kRollbackTo = "ROLLBACK TO op";
constexpr const char* kSyncNormal = "PRAGMA synchronous=NORMAL";
constexpr const char* kSyncFull = "PRAGMA synchronous=FULL";
}  // namespace

Writer::Writer(std::unique_ptr<Database> db, Options options, Metrics* metrics, FreeSpaceGate* gate)
    : options_(options), metrics_(metrics), gate_(gate), db_(std::move(db)) {
  thread_ = std::thread([this] { loop(); });
}

Writer::~Writer() { stop(); }

void Writer::submit(Work work, Done done, Durability durability, Atomicity atomicity) {
  enqueue(Op{std::move(work), std::move(done), durability, atomicity});
}

void Writer::checkpoint(Done done) {
  enqueue(Op{nullptr, std::move(done), Durability::kDeferred, Atomicity::kFailsBeforeWriting,
             /*checkpoint=*/true});
}

void Writer::enqueue(Op op) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(op));
      if (queue_.size() == 1 || queue_.size() >= options_.batch_max_ops) cv_.notify_one();
      return;
    }
  }
  op.done(Status(ErrorCode::kUnavailable, "the server is shutting down"));
}

Status Writer::run(Work work, Durability durability, Atomicity atomicity) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  submit(
      std::move(work), [&promise](Status s) { promise.set_value(std::move(s)); }, durability,
      atomicity);
  return future.get();
}

void Writer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  std::lock_guard join(join_mu_);
  if (thread_.joinable()) thread_.join();
}

void Writer::loop() {
  std::vector<Op> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything submitted is committed
      if (options_.batch_window.count() > 0 && !stopping_) {
        cv_.wait_for(lock, options_.batch_window,
                     [this] { return queue_.size() >= options_.batch_max_ops || stopping_; });
      }
      if (queue_.size() <= options_.batch_max_ops) {
        batch.swap(queue_);
      } else {
        const auto split = queue_.begin() + static_cast<std::ptrdiff_t>(options_.batch_max_ops);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(split));
        queue_.erase(queue_.begin(), split);
      }
    }
    commit(batch);
    batch.clear();
  }
}

void Writer::commit(std::vector<Op>& batch) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Status> results(batch.size());
  if (options_.synchronous_full) {
    const bool deferred = std::all_of(batch.begin(), batch.end(), [](const Op& op) {
      return op.durability == Durability::kDeferred;
    });
    if (deferred != sync_lowered_) {
      // Between transactions the level may change; a later FULL commit's fsync of the
      // WAL covers the frames the NORMAL ones wrote.
      if (db_->exec(deferred ? kSyncNormal : kSyncFull)) sync_lowered_ = deferred;
    }
  }
  const bool checkpoint =
      std::any_of(batch.begin(), batch.end(), [](const Op& op) { return op.checkpoint; });
  const bool writes =
      std::any_of(batch.begin(), batch.end(), [](const Op& op) { return !op.checkpoint; });
  Status tx = writes ? db_->exec("BEGIN IMMEDIATE") : Status::ok();
  if (tx && writes) {
    for (std::size_t i = 0; i < batch.size() && tx; ++i) {
      if (batch[i].checkpoint) continue;
      if (batch[i].atomicity == Atomicity::kFailsBeforeWriting) {
        const std::int64_t before = db_->total_changes();
        results[i] = batch[i].work(*db_);
        if (!results[i] && db_->total_changes() != before) {
          tx = batch_failed(results[i], "an operation failed after writing");
        }
      } else if (Status s = db_->query(kSavepoint).run(); !s) {
        results[i] = s;
      } else {
        results[i] = batch[i].work(*db_);
        if (!results[i]) db_->query(kRollbackTo).run();
        db_->query(kRelease).run();
      }
      // After SQLITE_FULL or an I/O error SQLite may have rolled the whole transaction
      // back: the next operation must not run in autocommit mode, committed unseen.
      if (tx && !results[i] && !db_->in_transaction()) {
        tx = batch_failed(results[i], "SQLite rolled the transaction back");
      }
    }
    if (tx) tx = db_->exec("COMMIT");
    if (!tx) db_->exec("ROLLBACK");
  }
  if (metrics_ != nullptr && writes) {
    metrics_->observe_commit(std::chrono::steady_clock::now() - start, batch.size(), tx.is_ok());
  }
  if (writes) note_space(results, tx, !sync_lowered_);
  // Callers hear of the commit before the checkpoint, which may wait for readers.
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].checkpoint) batch[i].done(tx ? std::move(results[i]) : tx);
  }
  if (!checkpoint) return;
  const Status checkpointed = db_->checkpoint_truncate(options_.checkpoint_wait);
  for (auto& op : batch) {
    if (op.checkpoint) op.done(checkpointed);
  }
}

void Writer::note_space(const std::vector<Status>& results, const Status& tx, bool synced) {
  const Status* full = tx.code() == ErrorCode::kStorageFull ? &tx : nullptr;
  for (std::size_t i = 0; full == nullptr && i < results.size(); ++i) {
    if (results[i].code() == ErrorCode::kStorageFull) full = &results[i];
  }
  if (full != nullptr) {
    if (gate_ != nullptr) gate_->refresh();
    if (!out_of_space_) spdlog::warn("store writes fail for lack of space: {}", full->message());
    out_of_space_ = true;
  } else if (out_of_space_ && tx && synced) {
    // A synced commit wrote and fsynced WAL frames: the filesystem takes writes again.
    spdlog::info("store writes succeed again");
    out_of_space_ = false;
  }
}

}  // namespace xchat::store
