#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "store/free_space_gate.hpp"
#include "store/reader_pool.hpp"
#include "store/writer.hpp"

namespace xchat {
class Metrics;
}

namespace xchat::store {

// The database of one data directory: its single writer and its readers.
class Store {
 public:
  // When PRAGMA quick_check runs. It reads every page, seconds for a large database that
  // is not in the page cache: after an unclean shutdown it always runs in open(), before
  // anything is served; otherwise open() leaves it to check_integrity() unless asked.
  enum class Check { kOnOpen, kDeferredUnlessUnclean };

  struct Options {
    Check check = Check::kOnOpen;
    std::string data_dir;
    std::string synchronous = "FULL";
    int busy_timeout_ms = 5000;
    Writer::Options writer;
    std::size_t max_idle_readers = 8;
    // Writes that grow the store are refused while less is available (FreeSpaceGate).
    std::int64_t min_free_bytes = std::int64_t{64} << 20;
    // How stale the gate's view of the free space may get.
    std::chrono::milliseconds free_space_refresh{500};
  };

  // Creates the data directory (mode 0700) if needed, opens the database, runs
  // PRAGMA quick_check as Options::check says (a damaged file fails the open), applies
  // migrations, starts the writer. A full disk does not fail the open: the gate refuses
  // growing writes, and deliveries go on.
  static Result<std::unique_ptr<Store>> open(const Options& options, Metrics* metrics);

  static std::string database_path(const std::string& data_dir);

  Writer& writer() { return *writer_; }
  // Services ask it before submitting a write that grows the store.
  FreeSpaceGate& free_space() { return *gate_; }
  ReaderPool& readers() { return readers_; }

  // The quick_check that open() left for later, on a reader connection (ok at once when
  // open() ran it). Blocks for as long as it reads: never on an I/O thread. Once
  // cancel_integrity_check() was called it returns kUnavailable instead of a verdict.
  Status check_integrity();
  // Stops a running check_integrity() within milliseconds, so that shutting down never
  // waits for a read of the whole file. Thread-safe.
  void cancel_integrity_check();

  // Commits what was submitted and stops the writer thread.
  void close() { writer_->stop(); }

 private:
  Store(std::unique_ptr<FreeSpaceGate> gate, std::unique_ptr<Writer> writer,
        const Database::Options& reader_options, std::size_t max_idle)
      : gate_(std::move(gate)), writer_(std::move(writer)), readers_(reader_options, max_idle) {}

  std::unique_ptr<FreeSpaceGate> gate_;  // outlives the writer, which tells it of failures
  std::unique_ptr<Writer> writer_;
  ReaderPool readers_;
  bool checked_ = false;  // constant after open()
  std::mutex check_mu_;
  bool check_cancelled_ = false;  // guarded by check_mu_
  Database* checking_ = nullptr;  // the connection check_integrity() reads on; check_mu_
};

}  // namespace xchat::store
