// The idle clock: a client that keeps reading (so it answers the server's pings) stays
// connected however long it sends nothing itself; a client that neither sends nor reads
// is dropped after limits.idle_timeout_seconds.
#include <gtest/gtest.h>

#include <thread>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/ws_client.hpp"

namespace xchat::testing {
namespace {

const Overrides kShortIdle = {{"limits.idle_timeout_seconds", "2"},
                              {"limits.ping_interval_seconds", "1"}};

TEST(IdleTimeout, AListeningClientThatAnswersPingsStaysConnected) {
  Daemon d(kShortIdle);
  auto listener = connect_or_fail(d);
  ASSERT_NE(listener, nullptr);
  // Reading is all it does: Beast answers each ping with a pong while it reads. Three idle
  // timeouts go by with no message either way, and the session is still there.
  std::thread reading([&] { EXPECT_FALSE(listener->read_text(8s).has_value()); });
  std::this_thread::sleep_for(6s);
  EXPECT_EQ(metric_value(d, "xchatd_websocket_sessions"), 1) << "the listening client was dropped";
  reading.join();
}

TEST(IdleTimeout, AClientThatNeitherSendsNorReadsIsDropped) {
  Daemon d(kShortIdle);
  auto silent = connect_or_fail(d);
  ASSERT_NE(silent, nullptr);
  // Past the idle timeout, answering no ping: the server drops it without a close frame.
  EXPECT_TRUE(eventually([&] { return metric_value(d, "xchatd_websocket_sessions") == 0; }, 8s));
  EXPECT_EQ(silent->wait_close(5s), std::nullopt);
}

}  // namespace
}  // namespace xchat::testing
