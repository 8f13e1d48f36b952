#pragma once

#include <memory>
#include <string>

#include "store/reader_pool.hpp"
#include "store/writer.hpp"

namespace xchat {
class Metrics;
}

namespace xchat::store {

// The database of one data directory: its single writer and its readers.
class Store {
 public:
  struct Options {
    std::string data_dir;
    std::string synchronous = "FULL";
    int busy_timeout_ms = 5000;
    Writer::Options writer;
    std::size_t max_idle_readers = 8;
  };

  // Creates the data directory (mode 0700) if needed, opens the database, runs
  // PRAGMA quick_check (a damaged file stops startup), applies migrations, starts the writer.
  static Result<std::unique_ptr<Store>> open(const Options& options, Metrics* metrics);

  static std::string database_path(const std::string& data_dir);

  Writer& writer() { return *writer_; }
  ReaderPool& readers() { return readers_; }

  // Commits what was submitted and stops the writer thread.
  void close() { writer_->stop(); }

 private:
  Store(std::unique_ptr<Writer> writer, const Database::Options& reader_options,
        std::size_t max_idle)
      : writer_(std::move(writer)), readers_(reader_options, max_idle) {}

  std::unique_ptr<Writer> writer_;
  ReaderPool readers_;
};

}  // namespace xchat::store
