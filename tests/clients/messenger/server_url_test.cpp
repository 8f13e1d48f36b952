#include "messenger/server_url.hpp"

#include <gtest/gtest.h>

namespace xchat::client {
namespace {

TEST(ServerUrl, ParsesTheFormsUsersType) {
  auto u = ServerUrl::parse("ws://127.0.0.1:9000/v1/ws");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->target, "/v1/ws");

  u = ServerUrl::parse("wss://chat.example.com");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "chat.example.com");
  EXPECT_EQ(u->port, 8480);
  EXPECT_EQ(u->target, "/v1/ws");

  u = ServerUrl::parse("ws://[::1]:8481/chat/ws");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8481);
  EXPECT_EQ(u->target, "/chat/ws");
  EXPECT_EQ(u->options().host, "::1");
}

TEST(ServerUrl, RefusesWhatIsNotAWebSocketUrl) {
  for (const char* bad : {"http://x", "x:80", "ws://", "ws://:80", "ws://h:0", "ws://h:70000",
                          "ws://h:8a", "ws://[::1", "ws://[::1]x"}) {
    EXPECT_FALSE(ServerUrl::parse(bad)) << bad;
  }
}

TEST(ServerUrl, AttachmentsLiveBesideTheWebSocket) {
  EXPECT_EQ(ServerUrl::parse("ws://127.0.0.1:9000/v1/ws")->attachments_target(), "/v1/attachments");
  EXPECT_EQ(ServerUrl::parse("wss://chat.example.com")->attachments_target(), "/v1/attachments");
  EXPECT_EQ(ServerUrl::parse("wss://example.com/chat/v1/ws")->attachments_target(),
            "/chat/v1/attachments");
  EXPECT_EQ(ServerUrl::parse("ws://example.com/socket")->attachments_target(), "/v1/attachments");
}

}  // namespace
}  // namespace xchat::client
