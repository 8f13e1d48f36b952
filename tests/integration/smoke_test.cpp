#include <gtest/gtest.h>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"

namespace xchat::testing {

TEST(Smoke, RegisterThenLogin) {
  Daemon daemon;
  auto client = connect_or_fail(daemon);
  ASSERT_NE(client, nullptr);
  TestUser alice("@Alice");
  auto reg = register_user(*client, alice);
  ASSERT_TRUE(reg.contains("result")) << reg.dump();
  EXPECT_EQ(reg["result"]["handle"], "@Alice");
  auto reply = login(*client, alice);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["handle"], "@Alice");
  EXPECT_EQ(reply["result"]["device_id"], 1);
}

}  // namespace xchat::testing
