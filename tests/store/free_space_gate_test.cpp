#include "store/free_space_gate.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>

#include "metrics/metrics.hpp"
#include "support/temp_dir.hpp"

namespace xchat {
namespace {

using store::FreeSpaceGate;
using ::xchat::testing::TempDir;
using namespace std::chrono_literals;

// A probe reporting whatever the test sets, and counting how often it is asked.
struct Scripted {
  std::atomic<std::int64_t> available{0};
  std::atomic<int> looks{0};

  FreeSpaceGate::Probe probe() {
    return [this]() -> Result<std::int64_t> {
      ++looks;
      return available.load();
    };
  }
};

TEST(FreeSpaceGate, OutOfSpaceErrnos) {
  EXPECT_TRUE(store::is_out_of_space(ENOSPC));
  EXPECT_TRUE(store::is_out_of_space(EDQUOT));
  EXPECT_TRUE(store::is_out_of_space(EFBIG));
  EXPECT_FALSE(store::is_out_of_space(EIO));
  EXPECT_FALSE(store::is_out_of_space(0));
}

TEST(FreeSpaceGate, MeasuresTheRealFilesystemOfTheDirectory) {
  TempDir dir("xchat-gate");
  Metrics metrics;
  FreeSpaceGate roomy(0, 0ms, FreeSpaceGate::statvfs_probe(dir.path()), &metrics);
  EXPECT_TRUE(roomy.admit());
  EXPECT_GT(metrics.storage_free_bytes.load(), 0);
  EXPECT_EQ(metrics.storage_full.load(), 0);

  // No filesystem here has an exbibyte free.
  FreeSpaceGate cramped(std::int64_t{1} << 60, 0ms, FreeSpaceGate::statvfs_probe(dir.path()),
                        &metrics);
  const Status refused = cramped.admit();
  EXPECT_EQ(refused.code(), ErrorCode::kStorageFull);
  EXPECT_NE(refused.message().find("storage is full"), std::string::npos) << refused.message();
  EXPECT_TRUE(cramped.full());
  EXPECT_EQ(metrics.storage_full.load(), 1);
  EXPECT_EQ(metrics.storage_min_free_bytes.load(), std::int64_t{1} << 60);
}

TEST(FreeSpaceGate, AMeasurementThatFailsKeepsTheLastVerdict) {
  TempDir dir("xchat-gate");
  FreeSpaceGate gate(0, 0ms, FreeSpaceGate::statvfs_probe(dir.file("missing")), nullptr);
  EXPECT_TRUE(gate.admit());
  EXPECT_FALSE(gate.full());
}

TEST(FreeSpaceGate, RefusesUnderTheReserveAndAdmitsAgainWhenSpaceReturns) {
  Scripted fs;
  fs.available = 1000;
  Metrics metrics;
  FreeSpaceGate gate(100, 0ms, fs.probe(), &metrics);
  EXPECT_TRUE(gate.admit());
  EXPECT_EQ(metrics.storage_free_bytes.load(), 1000);

  fs.available = 99;
  EXPECT_EQ(gate.admit().code(), ErrorCode::kStorageFull);
  EXPECT_EQ(metrics.storage_full.load(), 1);
  EXPECT_EQ(gate.admit().code(), ErrorCode::kStorageFull);

  fs.available = 100;  // exactly the reserve is enough
  EXPECT_TRUE(gate.admit());
  EXPECT_EQ(metrics.storage_full.load(), 0);
  EXPECT_EQ(metrics.storage_free_bytes.load(), 100);
}

TEST(FreeSpaceGate, LooksAtMostOncePerIntervalUnlessToldToLookNow) {
  Scripted fs;
  fs.available = 1000;
  FreeSpaceGate gate(100, 1h, fs.probe(), nullptr);
  EXPECT_EQ(fs.looks.load(), 1);  // the constructor's look
  fs.available = 0;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(gate.admit());
  EXPECT_EQ(fs.looks.load(), 1);

  gate.refresh();
  EXPECT_EQ(fs.looks.load(), 2);
  EXPECT_EQ(gate.admit().code(), ErrorCode::kStorageFull);
}

TEST(FreeSpaceGate, AStartOnAFullDiskRefusesAtOnce) {
  Scripted fs;
  fs.available = 10;
  FreeSpaceGate gate(100, 1h, fs.probe(), nullptr);
  EXPECT_TRUE(gate.full());
  EXPECT_EQ(gate.admit().code(), ErrorCode::kStorageFull);
}

}  // namespace
}  // namespace xchat
