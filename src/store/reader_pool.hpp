#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "store/database.hpp"

namespace xchat::store {

// Read-only connections for the I/O threads. In WAL mode a reader sees the last commit and
// never waits for the writer. A lease is taken for one short read and returned; at most
// `max_idle` connections are kept open between reads. Thread-safe.
class ReaderPool {
 public:
  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Database> db) : pool_(&pool), db_(std::move(db)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease();
    Database& operator*() const { return *db_; }
    Database* operator->() const { return db_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Database> db_;
  };

  // REQUIRES: the database exists and is migrated (readers never create schema).
  ReaderPool(Database::Options options, std::size_t max_idle);

  Result<Lease> acquire();

 private:
  void give_back(std::unique_ptr<Database> db);

  const Database::Options options_;
  const std::size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Database>> idle_;  // guarded by mu_
};

}  // namespace xchat::store
