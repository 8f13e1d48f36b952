#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/database.hpp"

namespace xchat {
class Metrics;
}

namespace xchat::store {

class FreeSpaceGate;

// The single writer of the database, doing group commit (LevelDB's DBImpl::Write idea):
// callers from any thread submit operations; the writer thread folds every operation
// waiting at that moment (up to batch_max_ops) into one BEGIN IMMEDIATE ... COMMIT, so
// one fsync acknowledges many callers. Each operation runs inside its own SAVEPOINT: one
// that fails is rolled back alone and the rest of the batch still commits.
//
// An operation that fails only before its first write may waive its SAVEPOINT
// (Atomicity::kFailsBeforeWriting): a savepoint costs a statement journal, a copy of every
// page the operation touches, which on the send path was a third of the writer's work.
//
// A write the filesystem refuses for lack of space fails with kStorageFull, the
// transaction is rolled back, and the writer carries on with the next batch: nothing
// committed before is touched, and the same operation succeeds once space returns.
//
// A caller's `done` runs only after the transaction carrying its operation has committed
// (or failed), on the writer thread. It must be quick and must not block: post to your own
// executor and return.
class Writer {
 public:
  // Runs on the writer thread inside the transaction. Returning an error rolls back
  // this operation's changes only.
  using Work = std::function<Status(Database&)>;
  using Done = std::function<void(Status)>;

  // kSynced: `done` runs once the commit is on disk (with synchronous = FULL, that is
  // once the WAL was fsynced). kDeferred: the change may wait for the next synced commit
  // or checkpoint, so a transaction carrying only deferred operations skips the fsync;
  // for changes whose loss at a power cut is harmless (an acknowledged envelope that
  // comes back once more). Both are safe against a process crash.
  enum class Durability { kSynced, kDeferred };

  // kOwnSavepoint: the operation runs in its own SAVEPOINT; if it fails, its changes are
  // rolled back and the rest of the batch commits. kFailsBeforeWriting: the operation
  // checks everything before it writes and returns an error only then; it runs without a
  // savepoint. Should it fail after changing rows anyway (an I/O error, a bug), the whole
  // batch is rolled back and every operation in it fails.
  enum class Atomicity { kOwnSavepoint, kFailsBeforeWriting };

  struct Options {
    // After the first operation of a batch arrives, wait this long for more. Zero still
    // batches: whatever queued during the previous commit goes into the next one.
    std::chrono::microseconds batch_window{0};
    std::size_t batch_max_ops = 512;
    // The connection runs with synchronous = FULL: only then do deferred batches have a
    // sync to skip.
    bool synchronous_full = true;
    // How long a checkpoint waits for readers on older snapshots before giving up (the
    // writer waits with it, so keep it short; the caller tries again later).
    std::chrono::milliseconds checkpoint_wait{100};
  };

  // Starts the writer thread. `metrics` and `gate` may be null; the gate is told to look
  // again when a write fails for lack of space. Both must outlive the writer.
  Writer(std::unique_ptr<Database> db, Options options, Metrics* metrics,
         FreeSpaceGate* gate = nullptr);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer();  // stop()

  // Thread-safe. After stop() began, `done` is called at once with kUnavailable.
  void submit(Work work, Done done, Durability durability = Durability::kSynced,
              Atomicity atomicity = Atomicity::kOwnSavepoint);

  // Thread-safe. Runs Database::checkpoint_truncate() right after the next commit, outside
  // any transaction, and passes its status to `done` (on the writer thread).
  void checkpoint(Done done);

  // Blocks until `work` has committed (or failed). For tools and tests, never an I/O thread.
  Status run(Work work, Durability durability = Durability::kSynced,
             Atomicity atomicity = Atomicity::kOwnSavepoint);

  // Commits everything already submitted, then joins the thread. Idempotent; thread-safe.
  void stop();

 private:
  struct Op {
    Work work;
    Done done;
    Durability durability;
    Atomicity atomicity;
    bool checkpoint = false;  // no work: a checkpoint after the batch's transaction
  };

  void enqueue(Op op);
  void loop();
  void commit(std::vector<Op>& batch);
  // Logs the first of a run of batches failing for lack of space, and the end of the run.
  void note_space(const std::vector<Status>& results, const Status& tx, bool synced);

  // Constant after construction.
  const Options options_;
  Metrics* const metrics_;
  FreeSpaceGate* const gate_;
  std::unique_ptr<Database> db_;  // used only by the writer thread
  bool sync_lowered_ = false;     // writer thread: the connection runs NORMAL for now
  bool out_of_space_ = false;     // writer thread: the last write failed for lack of space

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Op> queue_;  // guarded by mu_
  bool stopping_ = false;  // guarded by mu_

  std::mutex join_mu_;  // stop() may be called from several threads
  std::thread thread_;
};

}  // namespace xchat::store
