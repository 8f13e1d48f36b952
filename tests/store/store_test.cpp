#include "store/store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <string>

#include "support/temp_dir.hpp"

namespace xchat {
namespace {

using store::Database;
using ::xchat::testing::TempDir;

constexpr const char* kDirPrefix = "xchat-store";

store::Store::Options deferred_check(const TempDir& dir) {
  store::Store::Options options;
  options.data_dir = dir.path();
  options.check = store::Store::Check::kDeferredUnlessUnclean;
  return options;
}

// A sound database of about `mib` MiB, closed cleanly so the next open defers its check.
void fill_database(const TempDir& dir, int mib) {
  auto opened = store::Store::open(deferred_check(dir), nullptr);
  ASSERT_TRUE(opened) << opened.status().message();
  Status filled = (*opened)->writer().run([mib](Database& db) -> Status {
    if (Status s = db.exec("CREATE TABLE filler (b BLOB)"); !s) return s;
    for (int i = 0; i < mib * 16; ++i) {
      if (Status s = db.exec("INSERT INTO filler VALUES (randomblob(65536))"); !s) return s;
    }
    return Status::ok();
  });
  ASSERT_TRUE(filled) << filled.message();
}

TEST(Store, ACancelledIntegrityCheckGivesNoVerdict) {
  TempDir dir(kDirPrefix);
  auto opened = store::Store::open(deferred_check(dir), nullptr);  // created: deferred
  ASSERT_TRUE(opened) << opened.status().message();
  (*opened)->cancel_integrity_check();
  const Status checked = (*opened)->check_integrity();
  EXPECT_EQ(checked.code(), ErrorCode::kUnavailable) << checked.message();
}

// Shutdown cancels from an I/O thread while the check reads on its own: the check ends
// with no verdict rather than a false "damaged", and the connection it read on stays usable.
TEST(Store, AnIntegrityCheckCanBeCancelledFromAnotherThread) {
  TempDir dir(kDirPrefix);
  fill_database(dir, 64);
  auto opened = store::Store::open(deferred_check(dir), nullptr);
  ASSERT_TRUE(opened) << opened.status().message();
  store::Store& store = **opened;

  const auto started = std::chrono::steady_clock::now();
  auto check = std::async(std::launch::async, [&store] { return store.check_integrity(); });
  store.cancel_integrity_check();
  ASSERT_EQ(check.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  const Status checked = check.get();
  EXPECT_EQ(checked.code(), ErrorCode::kUnavailable) << checked.message();
  std::printf("check of 64 MiB cancelled after %.1f ms\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                        started)
                  .count());

  auto reader = store.readers().acquire();
  ASSERT_TRUE(reader) << reader.status().message();
  auto count = (*reader)->scalar("SELECT count(*) FROM filler");
  ASSERT_TRUE(count) << count.status().message();
  EXPECT_EQ(*count, 64 * 16);
}

}  // namespace
}  // namespace xchat
