#include "xchat/handle.hpp"

#include <gtest/gtest.h>

namespace xchat {
namespace {

TEST(Handle, AcceptsXStyleHandlesAndKeepsDisplayCase) {
  auto h = parse_handle("@Alice_01");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->display, "@Alice_01");
  EXPECT_EQ(h->key, "@alice_01");
  EXPECT_TRUE(parse_handle("@a"));
  EXPECT_TRUE(parse_handle("@abcdefghijklmno"));  // 15 characters
}

TEST(Handle, RejectsEverythingElse) {
  for (const char* bad : {"", "@", "alice", "@abcdefghijklmnop", "@al ice", " @alice", "@alice ",
                          "@al-ice", "@al.ice", "@élan", "@@alice", "@alice\n"}) {
    EXPECT_FALSE(parse_handle(bad)) << bad;
  }
  EXPECT_FALSE(parse_handle(std::string_view("@al\0ice", 7)));
}

TEST(Handle, CaseInsensitiveKeysCollide) {
  EXPECT_EQ(parse_handle("@BOB")->key, parse_handle("@bob")->key);
}

}  // namespace
}  // namespace xchat
