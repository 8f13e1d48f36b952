#include "net/client_address.hpp"

#include <gtest/gtest.h>

#include <string>

namespace xchat {
namespace {

using net::AddressMatcher;

// The client address as a string, for readable failures.
std::string client(const char* peer, std::string_view forwarded_for,
                   const AddressMatcher& trusted) {
  return net::resolve_client_address(boost::asio::ip::make_address(peer), forwarded_for, trusted)
      .to_string();
}

const AddressMatcher& proxies() {
  static const AddressMatcher matcher({"10.0.0.0/8", "fd00::/8"});
  return matcher;
}

TEST(ClientAddress, NoHeaderIsThePeer) {
  EXPECT_EQ(client("10.0.0.1", "", proxies()), "10.0.0.1");
  EXPECT_EQ(client("203.0.113.9", "", proxies()), "203.0.113.9");
}

TEST(ClientAddress, HeaderFromAnUntrustedPeerIsIgnored) {
  EXPECT_EQ(client("203.0.113.9", "198.51.100.1", proxies()), "203.0.113.9");
  EXPECT_EQ(client("203.0.113.9", "10.0.0.5, 198.51.100.1", proxies()), "203.0.113.9");
  EXPECT_EQ(client("127.0.0.1", "198.51.100.1", AddressMatcher()), "127.0.0.1");
}

TEST(ClientAddress, TrustedProxyForwardsTheClient) {
  EXPECT_EQ(client("10.0.0.1", "198.51.100.1", proxies()), "198.51.100.1");
  EXPECT_EQ(client("fd00::1", "2001:db8::7", proxies()), "2001:db8::7");
  EXPECT_EQ(client("10.0.0.1", "2001:db8::7", proxies()), "2001:db8::7");
}

TEST(ClientAddress, RightmostUntrustedHopWins) {
  // The leftmost entries are whatever the client sent; only hops appended by our own
  // proxies can be believed.
  EXPECT_EQ(client("10.0.0.1", "1.1.1.1, 198.51.100.1", proxies()), "198.51.100.1");
  EXPECT_EQ(client("10.0.0.1", "1.1.1.1, 198.51.100.1, 10.0.0.2", proxies()), "198.51.100.1");
  EXPECT_EQ(client("10.0.0.1", "1.1.1.1, 198.51.100.1, 10.0.0.3, fd00::2", proxies()),
            "198.51.100.1");
}

TEST(ClientAddress, ChainOfOnlyTrustedHopsEndsAtTheLeftmost) {
  EXPECT_EQ(client("10.0.0.1", "10.0.0.3, 10.0.0.2", proxies()), "10.0.0.3");
}

TEST(ClientAddress, GarbageStopsTheWalkAtTheLastTrustedHop) {
  EXPECT_EQ(client("10.0.0.1", "198.51.100.1, not-an-ip", proxies()), "10.0.0.1");
  EXPECT_EQ(client("10.0.0.1", "198.51.100.1, garbage, 10.0.0.2", proxies()), "10.0.0.2");
  EXPECT_EQ(client("10.0.0.1", "198.51.100.1:4000", proxies()), "10.0.0.1");
  EXPECT_EQ(client("10.0.0.1", "198.51.100.1,", proxies()), "10.0.0.1");
  EXPECT_EQ(client("10.0.0.1", "[2001:db8::7]", proxies()), "10.0.0.1");
}

TEST(ClientAddress, SpacesAndTabsAroundHopsAreAllowed) {
  EXPECT_EQ(client("10.0.0.1", " 1.1.1.1 ,\t198.51.100.1\t", proxies()), "198.51.100.1");
  EXPECT_EQ(client("10.0.0.1", "1.1.1.1,198.51.100.1", proxies()), "198.51.100.1");
}

TEST(ClientAddress, V4MappedPeerCountsAsItsIpv4Address) {
  EXPECT_EQ(client("::ffff:10.0.0.1", "198.51.100.1", proxies()), "198.51.100.1");
  EXPECT_EQ(client("::ffff:203.0.113.9", "198.51.100.1", proxies()), "::ffff:203.0.113.9");
}

std::string limit_key(const char* address) {
  return net::limit_key(boost::asio::ip::make_address(address));
}

TEST(ClientAddress, LimitKeyIsTheIpv4Address) {
  EXPECT_EQ(limit_key("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(limit_key("::ffff:203.0.113.9"), "203.0.113.9");  // same client, either socket
}

TEST(ClientAddress, LimitKeyIsTheIpv6Slash64) {
  EXPECT_EQ(limit_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(limit_key("2001:db8:1:2::1"), limit_key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  EXPECT_NE(limit_key("2001:db8:1:2::1"), limit_key("2001:db8:1:3::1"));
  EXPECT_EQ(limit_key("::1"), "::/64");
}

}  // namespace
}  // namespace xchat
