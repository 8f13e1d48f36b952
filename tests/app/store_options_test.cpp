#include "app/store_options.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace xchat {
namespace {

TEST(StoreOptions, EveryStorageSettingReachesTheStore) {
  auto config = parse_config(R"(
[server]
data_dir = "/srv/xchat"
[storage]
synchronous = "NORMAL"
batch_window_us = 250
batch_max_ops = 64
busy_timeout_ms = 1234
min_free_bytes = 1048576
)",
                             "xchatd.toml");
  ASSERT_TRUE(config) << config.status().message();

  const auto options = store_options(*config);
  EXPECT_EQ(options.data_dir, "/srv/xchat");
  EXPECT_EQ(options.synchronous, "NORMAL");
  EXPECT_EQ(options.writer.batch_window, std::chrono::microseconds(250));
  EXPECT_EQ(options.writer.batch_max_ops, 64u);
  EXPECT_EQ(options.busy_timeout_ms, 1234);
  EXPECT_EQ(options.min_free_bytes, 1048576);
}

// What the configuration does not name keeps the store's own defaults: the callers choose
// those (the daemon defers the integrity check, the admin CLI keeps one idle reader).
TEST(StoreOptions, LeavesTheCallersChoicesAtTheStoreDefaults) {
  const store::Store::Options defaults;
  const auto options = store_options(Config{});
  EXPECT_EQ(options.check, defaults.check);
  EXPECT_EQ(options.max_idle_readers, defaults.max_idle_readers);
  EXPECT_EQ(options.free_space_refresh, defaults.free_space_refresh);
  EXPECT_EQ(options.min_free_bytes, StorageConfig{}.min_free_bytes);
}

}  // namespace
}  // namespace xchat
