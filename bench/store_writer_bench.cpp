// Committed write operations per second through the store writer (group commit), at
// several batch sizes, with the durability the daemon uses (WAL, synchronous=FULL unless
// --synchronous NORMAL). Each operation inserts one 256-byte row, about the size of a
// small ciphertext envelope. Prints one JSON object per batch size.
//
//   build/bench/store_writer_bench [--seconds 3] [--dir /tmp/x] [--synchronous FULL]
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "crypto/random.hpp"
#include "metrics/metrics.hpp"
#include "store/store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS bench (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)";
constexpr const char* kInsert = "INSERT INTO bench (payload) VALUES (?1)";

struct Figures {
  double ops_per_second;
  double transactions_per_second;
  double ops_per_transaction;
};

// Keeps 2 x batch operations outstanding so the writer always finds a full batch waiting.
Figures measure(const std::string& dir, const std::string& synchronous, std::size_t batch,
                std::chrono::seconds duration) {
  std::filesystem::remove_all(dir);
  xchat::Metrics metrics;
  xchat::store::Store::Options options;
  options.data_dir = dir;
  options.synchronous = synchronous;
  options.writer.batch_max_ops = batch;
  auto store = xchat::store::Store::open(options, &metrics);
  if (!store) throw std::runtime_error(store.status().message());
  auto& writer = (*store)->writer();
  writer.run([](xchat::store::Database& db) { return db.exec(kCreate); });
  const std::string payload = xchat::crypto::random_bytes(256);

  std::mutex mu;
  std::condition_variable cv;
  std::size_t outstanding = 0;
  std::atomic<std::uint64_t> committed{0};
  const std::size_t window = 2 * batch;
  const std::uint64_t transactions_before = metrics.store_transactions();

  auto submit_one = [&] {
    writer.submit(
        [&payload](xchat::store::Database& db) {
          return db.query(kInsert).bind_blob(1, payload).run();
        },
        [&](xchat::Status s) {
          if (s) committed.fetch_add(1, std::memory_order_relaxed);
          std::lock_guard lock(mu);
          --outstanding;
          cv.notify_one();
        });
  };

  const auto start = Clock::now();
  const auto end = start + duration;
  while (Clock::now() < end) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return outstanding < window; });
    const std::size_t room = window - outstanding;
    outstanding += room;
    lock.unlock();
    for (std::size_t i = 0; i < room; ++i) submit_one();
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return outstanding == 0; });
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  (*store)->close();

  const auto transactions = static_cast<double>(metrics.store_transactions() - transactions_before);
  const double ops = static_cast<double>(committed.load());
  std::filesystem::remove_all(dir);
  return {ops / seconds, transactions / seconds, ops / transactions};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"store writer group-commit benchmark"};
  int seconds = 3;
  std::string dir = "/tmp/xchat-store-writer-bench";
  std::string synchronous = "FULL";
  std::vector<std::size_t> batches = {1, 16, 256};
  app.add_option("--seconds", seconds, "Seconds per batch size")->check(CLI::Range(1, 600));
  app.add_option("--dir", dir, "Scratch data directory (deleted)");
  app.add_option("--synchronous", synchronous, "FULL or NORMAL")
      ->check(CLI::IsMember({"FULL", "NORMAL"}));
  app.add_option("--batch", batches, "Batch sizes");
  CLI11_PARSE(app, argc, argv);
  if (!xchat::crypto::init_sodium()) return 1;

  for (std::size_t batch : batches) {
    const Figures f = measure(dir, synchronous, batch, std::chrono::seconds(seconds));
    std::cout << nlohmann::json{{"bench", "store_writer"},
                                {"synchronous", synchronous},
                                {"batch", batch},
                                {"ops_per_second", std::round(f.ops_per_second)},
                                {"transactions_per_second", std::round(f.transactions_per_second)},
                                {"ops_per_transaction",
                                 std::round(f.ops_per_transaction * 10) / 10}}
                     .dump()
              << std::endl;
  }
  return 0;
}
