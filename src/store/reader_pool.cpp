#include "store/reader_pool.hpp"

namespace xchat::store {

ReaderPool::Lease::~Lease() {
  if (db_ != nullptr) pool_->give_back(std::move(db_));
}

ReaderPool::ReaderPool(Database::Options options, std::size_t max_idle)
    : options_([&] {
        options.read_only = true;
        return options;
      }()),
      max_idle_(max_idle) {}

Result<ReaderPool::Lease> ReaderPool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(db));
    }
  }
  auto db = Database::open(options_);
  if (!db) return db.status();
  return Lease(*this, std::move(*db));
}

void ReaderPool::give_back(std::unique_ptr<Database> db) {
  std::lock_guard lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(db));
}

}  // namespace xchat::store
