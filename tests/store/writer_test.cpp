#include "store/writer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "metrics/metrics.hpp"
#include "store/free_space_gate.hpp"
#include "support/temp_dir.hpp"

namespace xchat {
namespace {

using store::Database;
using store::Writer;
using ::xchat::testing::TempDir;
using namespace std::chrono_literals;

constexpr const char* kCreateTable = "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)";
constexpr const char* kInsert = "INSERT INTO t (k, v) VALUES (?1, 'v')";
constexpr const char* kCountRows = "SELECT count(*) FROM t";
constexpr const char* kHasRow = "SELECT count(*) FROM t WHERE k = ?1";
constexpr const char* kInsertLarge = "INSERT INTO t (k, v) VALUES (?1, randomblob(65536))";
// SQLite answers SQLITE_FULL past max_page_count exactly as on a full disk.
constexpr const char* kCapPages = "PRAGMA max_page_count = 16";
constexpr const char* kUncapPages = "PRAGMA max_page_count = 1000000";

// Every wait in these tests is bounded by this; a healthy run never comes close.
constexpr auto kPatience = 10s;

// A one-shot signal between threads, with a bounded wait.
class Latch {
 public:
  void open() { promise_.set_value(); }
  bool wait() { return future_.wait_for(kPatience) == std::future_status::ready; }

 private:
  std::promise<void> promise_;
  std::shared_future<void> future_ = promise_.get_future().share();
};

// Collects each operation's outcome, in any thread, and waits for all of them.
class Outcomes {
 public:
  explicit Outcomes(std::size_t expected) : statuses_(expected) {}

  Writer::Done done(std::size_t i) {
    return [this, i](Status s) {
      std::lock_guard lock(mu_);
      statuses_[i] = std::move(s);
      if (++count_ == statuses_.size()) cv_.notify_all();
    };
  }
  bool wait_all() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kPatience, [this] { return count_ == statuses_.size(); });
  }
  Status at(std::size_t i) {
    std::lock_guard lock(mu_);
    return statuses_[i];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Status> statuses_;
  std::size_t count_ = 0;
};

Writer::Work insert(std::int64_t key) {
  return [key](Database& db) {
    auto q = db.query(kInsert);
    q.bind(1, key);
    return q.run();
  };
}

// 64 KiB: more than the capped database holds.
Writer::Work insert_large(std::int64_t key) {
  return [key](Database& db) {
    auto q = db.query(kInsertLarge);
    q.bind(1, key);
    return q.run();
  };
}

// A work item that holds the writer's transaction open until `release` opens.
Writer::Work blocking_insert(std::int64_t key, Latch& started, Latch& release) {
  return [key, &started, &release](Database& db) -> Status {
    started.open();
    if (!release.wait()) return Status(ErrorCode::kInternal, "never released");
    return insert(key)(db);
  };
}

// The value of an unlabelled metric in Prometheus text.
std::uint64_t metric(const Metrics& metrics, const std::string& name) {
  std::istringstream lines(metrics.render());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stoull(line.substr(name.size() + 1));
  }
  ADD_FAILURE() << "no metric " << name;
  return 0;
}

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = open(false);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->exec(kCreateTable));
    writer_db_ = std::move(db);
    reader_ = open(true);
    ASSERT_NE(reader_, nullptr);
  }

  std::unique_ptr<Database> open(bool read_only, const std::string& synchronous = "NORMAL") {
    Database::Options options;
    options.path = dir_.file("w.db");
    options.read_only = read_only;
    options.synchronous = synchronous;
    auto db = Database::open(options);
    if (!db) ADD_FAILURE() << db.status().message();
    return db ? std::move(*db) : nullptr;
  }

  std::unique_ptr<Writer> start(std::size_t batch_max_ops = 512,
                                std::chrono::microseconds window = 0us,
                                bool synchronous_full = false,
                                store::FreeSpaceGate* gate = nullptr) {
    Writer::Options options;
    options.batch_max_ops = batch_max_ops;
    options.batch_window = window;
    options.synchronous_full = synchronous_full;
    return std::make_unique<Writer>(std::move(writer_db_), options, &metrics_, gate);
  }

  // Read through a separate connection: sees committed data only.
  std::int64_t rows() {
    std::lock_guard lock(reader_mu_);
    auto n = reader_->scalar(kCountRows);
    EXPECT_TRUE(n) << n.status().message();
    return n ? *n : -1;
  }
  bool has_row(std::int64_t key) {
    std::lock_guard lock(reader_mu_);
    auto q = reader_->query(kHasRow);
    q.bind(1, key);
    return q.step() && q.column_int(0) == 1;
  }

  TempDir dir_{"xchat-writer"};
  Metrics metrics_;
  std::unique_ptr<Database> writer_db_;
  std::mutex reader_mu_;
  std::unique_ptr<Database> reader_;  // guarded by reader_mu_
};

TEST_F(WriterTest, RunBlocksUntilCommitted) {
  auto writer = start();
  Status s = writer->run(insert(1));
  ASSERT_TRUE(s) << s.message();
  EXPECT_TRUE(has_row(1));
  EXPECT_EQ(metric(metrics_, "xchatd_store_transactions_total"), 1u);
  EXPECT_EQ(metric(metrics_, "xchatd_store_operations_total"), 1u);
}

TEST_F(WriterTest, RunReturnsTheWorksError) {
  auto writer = start();
  ASSERT_TRUE(writer->run(insert(1)));
  Status dup = writer->run(insert(1));
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.code(), ErrorCode::kInternal);
  EXPECT_EQ(rows(), 1);
}

TEST_F(WriterTest, ConcurrentSubmissionsShareOneTransaction) {
  Latch started;
  Latch release;
  constexpr std::size_t kThreads = 4;
  constexpr std::size_t kPerThread = 50;
  constexpr std::size_t kOps = 1 + kThreads * kPerThread;
  Outcomes outcomes(kOps);
  auto writer = start();
  writer->submit(blocking_insert(0, started, release), outcomes.done(0));
  ASSERT_TRUE(started.wait());

  // While the first transaction is held open, every thread submits its operations.
  std::vector<std::thread> submitters;
  for (std::size_t t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&, t] {
      for (std::size_t i = 0; i < kPerThread; ++i) {
        const std::size_t n = 1 + t * kPerThread + i;
        writer->submit(insert(static_cast<std::int64_t>(n)), outcomes.done(n));
      }
    });
  }
  for (auto& s : submitters) s.join();
  EXPECT_EQ(rows(), 0);  // nothing is visible before its commit
  release.open();

  ASSERT_TRUE(outcomes.wait_all());
  for (std::size_t i = 0; i < kOps; ++i) EXPECT_TRUE(outcomes.at(i)) << i;
  EXPECT_EQ(rows(), static_cast<std::int64_t>(kOps));
  // The held-open transaction, then one for everything that queued behind it.
  EXPECT_EQ(metric(metrics_, "xchatd_store_operations_total"), kOps);
  EXPECT_EQ(metric(metrics_, "xchatd_store_transactions_total"), 2u);
}

TEST_F(WriterTest, BatchesAreCappedAtBatchMaxOps) {
  Latch started;
  Latch release;
  constexpr std::size_t kQueued = 100;
  Outcomes outcomes(kQueued + 1);
  auto writer = start(/*batch_max_ops=*/16);
  writer->submit(blocking_insert(0, started, release), outcomes.done(0));
  ASSERT_TRUE(started.wait());
  for (std::size_t i = 1; i <= kQueued; ++i) {
    writer->submit(insert(static_cast<std::int64_t>(i)), outcomes.done(i));
  }
  release.open();
  ASSERT_TRUE(outcomes.wait_all());
  EXPECT_EQ(rows(), static_cast<std::int64_t>(kQueued + 1));
  EXPECT_EQ(metric(metrics_, "xchatd_store_transactions_total"), 1u + (kQueued + 15) / 16);
}

TEST_F(WriterTest, FailingOperationRollsBackAloneAndItsBatchCommits) {
  Latch started;
  Latch release;
  Outcomes outcomes(4);
  auto writer = start();
  writer->submit(blocking_insert(1, started, release), outcomes.done(0));
  ASSERT_TRUE(started.wait());
  writer->submit(insert(2), outcomes.done(1));
  // Writes a row, then fails: the row must go with it.
  writer->submit(
      [](Database& db) -> Status {
        if (Status s = insert(3)(db); !s) return s;
        return Status(ErrorCode::kHandleTaken, "refused after writing");
      },
      outcomes.done(2));
  writer->submit(insert(4), outcomes.done(3));
  release.open();
  ASSERT_TRUE(outcomes.wait_all());

  EXPECT_TRUE(outcomes.at(0));
  EXPECT_TRUE(outcomes.at(1));
  EXPECT_EQ(outcomes.at(2).code(), ErrorCode::kHandleTaken);
  EXPECT_EQ(outcomes.at(2).message(), "refused after writing");
  EXPECT_TRUE(outcomes.at(3));
  EXPECT_TRUE(has_row(1));
  EXPECT_TRUE(has_row(2));
  EXPECT_FALSE(has_row(3));
  EXPECT_TRUE(has_row(4));
  EXPECT_EQ(metric(metrics_, "xchatd_store_transactions_total"), 2u);
  EXPECT_EQ(metric(metrics_, "xchatd_store_transactions_failed_total"), 0u);
}

TEST_F(WriterTest, OperationWithoutSavepointThatFailsBeforeWritingLeavesItsBatchAlone) {
  Latch started;
  Latch release;
  Outcomes outcomes(3);
  auto writer = start();
  writer->submit(blocking_insert(1, started, release), outcomes.done(0));
  ASSERT_TRUE(started.wait());
  writer->submit([](Database&) { return Status(ErrorCode::kNotFound, "checked, refused"); },
                 outcomes.done(1), Writer::Durability::kSynced,
                 Writer::Atomicity::kFailsBeforeWriting);
  writer->submit(insert(2), outcomes.done(2), Writer::Durability::kSynced,
                 Writer::Atomicity::kFailsBeforeWriting);
  release.open();
  ASSERT_TRUE(outcomes.wait_all());
  EXPECT_TRUE(outcomes.at(0));
  EXPECT_EQ(outcomes.at(1).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(outcomes.at(2));
  EXPECT_EQ(rows(), 2);
  EXPECT_EQ(metric(metrics_, "xchatd_store_transactions_failed_total"), 0u);
}

// An operation that broke its promise and failed after writing: without a savepoint its
// rows cannot be taken back alone, so nothing of the batch may commit.
TEST_F(WriterTest, OperationWithoutSavepointThatFailsAfterWritingFailsItsWholeBatch) {
  Latch started;
  Latch release;
  Outcomes outcomes(4);
  auto writer = start();
  writer->submit(blocking_insert(1, started, release), outcomes.done(0));
  ASSERT_TRUE(started.wait());
  writer->submit(insert(2), outcomes.done(1));
  writer->submit(
      [](Database& db) -> Status {
        if (Status s = insert(3)(db); !s) return s;
        return Status(ErrorCode::kHandleTaken, "refused after writing");
      },
      outcomes.done(2), Writer::Durability::kSynced, Writer::Atomicity::kFailsBeforeWriting);
  writer->submit(insert(4), outcomes.done(3));
  release.open();
  ASSERT_TRUE(outcomes.wait_all());
  // The first operation committed alone, while the others queued behind it.
  EXPECT_TRUE(outcomes.at(0));
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(outcomes.at(i).code(), ErrorCode::kInternal) << i;
  }
  EXPECT_NE(outcomes.at(1).message().find("refused after writing"), std::string::npos);
  EXPECT_TRUE(has_row(1));
  EXPECT_EQ(rows(), 1);
  EXPECT_EQ(metric(metrics_, "xchatd_store_transactions_failed_total"), 1u);
}

TEST_F(WriterTest, ConstraintViolationFailsOnlyThatOperation) {
  Latch started;
  Latch release;
  Outcomes outcomes(3);
  auto writer = start();
  writer->submit(blocking_insert(1, started, release), outcomes.done(0));
  ASSERT_TRUE(started.wait());
  writer->submit(insert(1), outcomes.done(1));  // same key as the operation before it
  writer->submit(insert(2), outcomes.done(2));
  release.open();
  ASSERT_TRUE(outcomes.wait_all());
  EXPECT_TRUE(outcomes.at(0));
  EXPECT_FALSE(outcomes.at(1));
  EXPECT_TRUE(outcomes.at(2));
  EXPECT_EQ(rows(), 2);
}

TEST_F(WriterTest, DoneRunsOnlyAfterCommit) {
  constexpr std::size_t kOps = 20;
  Outcomes outcomes(kOps);
  std::atomic<int> visible_in_done{0};
  auto writer = start();
  for (std::size_t i = 0; i < kOps; ++i) {
    writer->submit(insert(static_cast<std::int64_t>(i)), [&, i, done = outcomes.done(i)](Status s) {
      if (s && has_row(static_cast<std::int64_t>(i))) ++visible_in_done;
      done(std::move(s));
    });
  }
  ASSERT_TRUE(outcomes.wait_all());
  EXPECT_EQ(visible_in_done.load(), static_cast<int>(kOps));
}

TEST_F(WriterTest, StopCommitsEverythingAlreadySubmitted) {
  Latch started;
  Latch release;
  constexpr std::size_t kQueued = 50;
  Outcomes outcomes(kQueued + 1);
  auto writer = start();
  writer->submit(blocking_insert(0, started, release), outcomes.done(0));
  ASSERT_TRUE(started.wait());
  for (std::size_t i = 1; i <= kQueued; ++i) {
    writer->submit(insert(static_cast<std::int64_t>(i)), outcomes.done(i));
  }

  std::thread stopper([&] { writer->stop(); });
  // Once stop() has begun, submissions are refused at once; probe (with operations that
  // write nothing) until one is, so the queued operations are known to meet a stopping writer.
  std::atomic<bool> refused{false};
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!refused && std::chrono::steady_clock::now() < deadline) {
    writer->submit([](Database&) { return Status::ok(); },
                   [&refused](Status s) {
                     if (s.code() == ErrorCode::kUnavailable) refused = true;
                   });
    if (!refused) std::this_thread::sleep_for(1ms);
  }
  release.open();
  stopper.join();

  EXPECT_TRUE(refused);
  ASSERT_TRUE(outcomes.wait_all());
  for (std::size_t i = 0; i <= kQueued; ++i) EXPECT_TRUE(outcomes.at(i)) << i;
  EXPECT_EQ(rows(), static_cast<std::int64_t>(kQueued + 1));
}

TEST_F(WriterTest, SubmitAfterStopIsUnavailable) {
  auto writer = start();
  ASSERT_TRUE(writer->run(insert(1)));
  writer->stop();
  writer->stop();  // idempotent

  Status late;
  bool called = false;
  writer->submit(insert(2), [&](Status s) {
    late = std::move(s);
    called = true;
  });
  EXPECT_TRUE(called);  // at once, on the caller's thread
  EXPECT_EQ(late.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(writer->run(insert(3)).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(rows(), 1);
}

// The synchronous level a work item's transaction runs at: 2 = FULL, 1 = NORMAL.
Writer::Work read_synchronous(std::int64_t* level) {
  return [level](Database& db) -> Status {
    auto v = db.scalar("PRAGMA synchronous");
    if (!v) return v.status();
    *level = *v;
    return Status::ok();
  };
}

TEST_F(WriterTest, OnlyBatchesOfDeferredOperationsSkipTheSync) {
  writer_db_ = open(false, "FULL");
  ASSERT_NE(writer_db_, nullptr);
  auto writer = start(512, 0us, /*synchronous_full=*/true);
  auto run = [&](Writer::Work work, Writer::Durability durability) {
    std::promise<Status> done;
    writer->submit(
        std::move(work), [&](Status s) { done.set_value(std::move(s)); }, durability);
    return done.get_future().get();
  };

  std::int64_t level = 0;
  ASSERT_TRUE(run(read_synchronous(&level), Writer::Durability::kDeferred));
  EXPECT_EQ(level, 1) << "a deferred-only batch commits without the sync";
  ASSERT_TRUE(run(read_synchronous(&level), Writer::Durability::kSynced));
  EXPECT_EQ(level, 2) << "a synced operation gets FULL back";

  // One synced operation in a batch makes the whole batch synced.
  Latch started, release;
  Outcomes outcomes(3);
  std::int64_t deferred_level = 0;
  writer->submit(blocking_insert(1, started, release), outcomes.done(0));
  ASSERT_TRUE(started.wait());
  writer->submit(read_synchronous(&deferred_level), outcomes.done(1),
                 Writer::Durability::kDeferred);
  writer->submit(insert(2), outcomes.done(2), Writer::Durability::kSynced);
  release.open();
  ASSERT_TRUE(outcomes.wait_all());
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(outcomes.at(i)) << i;
  EXPECT_EQ(deferred_level, 2);
  EXPECT_TRUE(has_row(2));
}

TEST_F(WriterTest, CheckpointTruncatesTheWalAfterTheBatchAndAfterItsCallers) {
  auto writer = start();
  Latch started;
  Latch release;
  Outcomes outcomes(3);
  std::vector<std::size_t> order;
  std::mutex order_mu;
  auto record = [&](std::size_t i) {
    return [&, i, done = outcomes.done(i)](Status s) {
      {
        std::lock_guard lock(order_mu);
        order.push_back(i);
      }
      done(std::move(s));
    };
  };
  // Hold the writer so that the insert and the checkpoint fall into one batch.
  writer->submit(blocking_insert(1, started, release), record(0));
  ASSERT_TRUE(started.wait());
  writer->checkpoint(record(1));
  writer->submit(insert(2), record(2));
  release.open();
  ASSERT_TRUE(outcomes.wait_all());
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(outcomes.at(i)) << outcomes.at(i).message();
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 2, 1}));
  EXPECT_EQ(rows(), 2);
  EXPECT_EQ(std::filesystem::file_size(dir_.file("w.db-wal")), 0u);
}

TEST_F(WriterTest, ACheckpointAloneOpensNoTransaction) {
  auto writer = start();
  ASSERT_TRUE(writer->run(insert(1)));
  EXPECT_GT(std::filesystem::file_size(dir_.file("w.db-wal")), 0u);
  const auto transactions = metrics_.store_transactions();
  std::promise<Status> done;
  writer->checkpoint([&done](Status s) { done.set_value(std::move(s)); });
  auto status = done.get_future();
  ASSERT_EQ(status.wait_for(kPatience), std::future_status::ready);
  EXPECT_TRUE(status.get());
  EXPECT_EQ(metrics_.store_transactions(), transactions);
  EXPECT_EQ(std::filesystem::file_size(dir_.file("w.db-wal")), 0u);
  EXPECT_EQ(rows(), 1);
}

// SQLite rolls the whole transaction back when a write finds the disk full: every
// operation of the batch fails with kStorageFull, none runs on in autocommit mode to be
// committed unseen, and the writer goes on: once space returns, the same write commits.
TEST_F(WriterTest, AWriteThatFindsTheDiskFullFailsItsBatchWithStorageFullAndTheWriterGoesOn) {
  ASSERT_TRUE(writer_db_->exec(kCapPages));
  std::atomic<int> looks{0};
  store::FreeSpaceGate gate(
      0, 1h,
      [&looks]() -> Result<std::int64_t> {
        ++looks;
        return std::int64_t{1} << 30;
      },
      nullptr);
  auto writer = start(512, 0us, false, &gate);
  Latch started;
  Latch release;
  Outcomes outcomes(3);
  writer->submit(blocking_insert(1, started, release), outcomes.done(0));
  ASSERT_TRUE(started.wait());
  writer->submit(insert_large(2), outcomes.done(1));
  writer->submit(insert(3), outcomes.done(2));
  release.open();
  ASSERT_TRUE(outcomes.wait_all());
  EXPECT_TRUE(outcomes.at(0));  // committed alone, while the others queued behind it
  EXPECT_EQ(outcomes.at(1).code(), ErrorCode::kStorageFull) << outcomes.at(1).message();
  EXPECT_EQ(outcomes.at(2).code(), ErrorCode::kStorageFull) << outcomes.at(2).message();
  EXPECT_NE(outcomes.at(1).message().find("storage is full"), std::string::npos);
  EXPECT_TRUE(has_row(1));
  EXPECT_EQ(rows(), 1);
  EXPECT_EQ(looks.load(), 2) << "the gate looks again after a write failed for lack of space";

  ASSERT_TRUE(writer->run(insert(3)));
  ASSERT_TRUE(writer->run([](Database& db) { return db.exec(kUncapPages); }));
  Status again = writer->run(insert_large(2));
  EXPECT_TRUE(again) << again.message();
  EXPECT_EQ(rows(), 3);
}

// Without a savepoint the failed operation takes its batch with it, but the batch's
// callers still hear kStorageFull (retry later), not kInternal (a fault).
TEST_F(WriterTest, AStorageFullBatchWithoutSavepointsFailsAsStorageFull) {
  ASSERT_TRUE(writer_db_->exec(kCapPages));
  auto writer = start();
  Latch started;
  Latch release;
  Outcomes outcomes(3);
  writer->submit(blocking_insert(1, started, release), outcomes.done(0));
  ASSERT_TRUE(started.wait());
  writer->submit(insert(2), outcomes.done(1));
  writer->submit(
      [](Database& db) -> Status {
        if (Status s = insert(3)(db); !s) return s;
        return insert_large(4)(db);
      },
      outcomes.done(2), Writer::Durability::kSynced, Writer::Atomicity::kFailsBeforeWriting);
  release.open();
  ASSERT_TRUE(outcomes.wait_all());
  EXPECT_TRUE(outcomes.at(0));
  EXPECT_EQ(outcomes.at(1).code(), ErrorCode::kStorageFull) << outcomes.at(1).message();
  EXPECT_EQ(outcomes.at(2).code(), ErrorCode::kStorageFull) << outcomes.at(2).message();
  EXPECT_EQ(rows(), 1);
  EXPECT_TRUE(writer->run(insert(5)));
  EXPECT_EQ(rows(), 2);
}

}  // namespace
}  // namespace xchat
