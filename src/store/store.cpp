#include "store/store.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "store/migrations.hpp"

namespace xchat::store {

std::string Store::database_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "xchatd.db").string();
}

Result<std::unique_ptr<Store>> Store::open(const Options& options, Metrics* metrics) {
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return Status(ErrorCode::kInternal,
                  "cannot create data directory " + options.data_dir + ": " + ec.message());
  }
  ::chmod(options.data_dir.c_str(), 0700);

  Database::Options db_options;
  db_options.path = database_path(options.data_dir);
  db_options.synchronous = options.synchronous;
  db_options.busy_timeout_ms = options.busy_timeout_ms;
  // The last connection to close removes the WAL: one left behind means the last process
  // did not shut down cleanly (or another one has the database open now).
  const bool unclean = std::filesystem::exists(db_options.path + "-wal");
  auto db = Database::open(db_options);
  if (!db) return db.status();

  if (unclean || options.check == Check::kOnOpen) {
    if (Status s = (*db)->quick_check(); !s) return s;
  }
  if (Status s = migrate(**db); !s) return s;

  Writer::Options writer_options = options.writer;
  writer_options.synchronous_full = options.synchronous == "FULL";
  auto gate =
      std::make_unique<FreeSpaceGate>(options.min_free_bytes, options.free_space_refresh,
                                      FreeSpaceGate::statvfs_probe(options.data_dir), metrics);
  auto writer = std::make_unique<Writer>(std::move(*db), writer_options, metrics, gate.get());
  auto store = std::unique_ptr<Store>(
      new Store(std::move(gate), std::move(writer), db_options, options.max_idle_readers));
  store->checked_ = unclean || options.check == Check::kOnOpen;
  return store;
}

Status Store::check_integrity() {
  if (checked_) return Status::ok();
  auto reader = readers_.acquire();
  if (!reader) return reader.status();
  const Status cancelled(ErrorCode::kUnavailable, "integrity check cancelled by shutdown");
  {
    std::lock_guard lock(check_mu_);
    if (check_cancelled_) return cancelled;
    checking_ = &**reader;
  }
  Status verdict = (*reader)->quick_check();
  std::lock_guard lock(check_mu_);
  checking_ = nullptr;
  return check_cancelled_ ? cancelled : verdict;
}

void Store::cancel_integrity_check() {
  std::lock_guard lock(check_mu_);
  check_cancelled_ = true;
  if (checking_ != nullptr) checking_->interrupt();
}

}  // namespace xchat::store
