#include "net/address_matcher.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace xchat {
namespace {

using net::AddressMatcher;
using net::is_ip_address;

bool matches(const std::vector<std::string>& entries, const char* address) {
  return AddressMatcher(entries).contains(boost::asio::ip::make_address(address));
}

TEST(AddressMatcher, ParsesAddressesAndCidrs) {
  auto single_v4 = AddressMatcher::parse_entry("10.0.0.1");
  ASSERT_TRUE(single_v4);
  EXPECT_EQ(single_v4->prefix, 32u);
  auto single_v6 = AddressMatcher::parse_entry("::1");
  ASSERT_TRUE(single_v6);
  EXPECT_EQ(single_v6->prefix, 128u);
  auto range = AddressMatcher::parse_entry("10.0.0.0/8");
  ASSERT_TRUE(range);
  EXPECT_EQ(range->prefix, 8u);
  EXPECT_EQ(range->network.to_string(), "10.0.0.0");
  for (const char* ok :
       {"0.0.0.0/0", "::/0", "fd00::/8", "2001:db8::/32", "192.168.1.7/32", "2001:db8::1/128"}) {
    EXPECT_TRUE(AddressMatcher::parse_entry(ok)) << ok;
  }
}

TEST(AddressMatcher, RejectsInvalidEntries) {
  for (const char* bad :
       {"", "/8", "proxy.local", "10.0.0.256", "10.0.0", "10.0.0.0/", "10.0.0.0/33", "::/129",
        "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0/8x", "10.0.0.0/ 8", " 10.0.0.1",
        "10.0.0.1 ", "10.0.0.0/08x", "1.2.3.4:80", "[::1]", "10.0.0.0/4294967304"}) {
    EXPECT_FALSE(AddressMatcher::parse_entry(bad)) << '"' << bad << '"';
  }
}

TEST(AddressMatcher, Ipv4Ranges) {
  const std::vector<std::string> entries = {"10.0.0.0/8", "192.168.0.0/23"};
  EXPECT_TRUE(matches(entries, "10.0.0.0"));
  EXPECT_TRUE(matches(entries, "10.255.255.255"));
  EXPECT_FALSE(matches(entries, "9.255.255.255"));
  EXPECT_FALSE(matches(entries, "11.0.0.0"));
  // A prefix that does not end on a byte boundary.
  EXPECT_TRUE(matches(entries, "192.168.0.1"));
  EXPECT_TRUE(matches(entries, "192.168.1.255"));
  EXPECT_FALSE(matches(entries, "192.168.2.0"));
  EXPECT_FALSE(matches(entries, "192.169.0.0"));
}

TEST(AddressMatcher, Ipv6Ranges) {
  const std::vector<std::string> entries = {"fd00::/8", "2001:db8:8000::/33"};
  EXPECT_TRUE(matches(entries, "fd12:3456::1"));
  EXPECT_FALSE(matches(entries, "fe80::1"));
  EXPECT_TRUE(matches(entries, "2001:db8:8000::1"));
  EXPECT_TRUE(matches(entries, "2001:db8:ffff:ffff::1"));
  EXPECT_FALSE(matches(entries, "2001:db8:7fff:ffff::1"));
  EXPECT_FALSE(matches(entries, "10.0.0.1"));  // IPv4 never matches an IPv6 range
}

TEST(AddressMatcher, PrefixEdges) {
  EXPECT_TRUE(matches({"0.0.0.0/0"}, "1.2.3.4"));
  EXPECT_TRUE(matches({"0.0.0.0/0"}, "255.255.255.255"));
  EXPECT_FALSE(matches({"0.0.0.0/0"}, "2001:db8::1"));
  EXPECT_TRUE(matches({"::/0"}, "2001:db8::1"));
  EXPECT_FALSE(matches({"::/0"}, "1.2.3.4"));

  EXPECT_TRUE(matches({"10.1.2.3/32"}, "10.1.2.3"));
  EXPECT_FALSE(matches({"10.1.2.3/32"}, "10.1.2.2"));
  EXPECT_FALSE(matches({"10.1.2.3/32"}, "10.1.2.4"));
  EXPECT_TRUE(matches({"10.1.2.3"}, "10.1.2.3"));
  EXPECT_FALSE(matches({"10.1.2.3"}, "10.1.2.2"));

  EXPECT_TRUE(matches({"2001:db8::1/128"}, "2001:db8::1"));
  EXPECT_FALSE(matches({"2001:db8::1/128"}, "2001:db8::"));
  EXPECT_FALSE(matches({"2001:db8::1/128"}, "2001:db8::3"));
  EXPECT_TRUE(matches({"::1"}, "::1"));
  EXPECT_FALSE(matches({"::1"}, "::"));
}

TEST(AddressMatcher, V4MappedPeersMatchIpv4Entries) {
  EXPECT_TRUE(matches({"10.0.0.0/8"}, "::ffff:10.1.2.3"));
  EXPECT_FALSE(matches({"10.0.0.0/8"}, "::ffff:11.1.2.3"));
  EXPECT_TRUE(matches({"127.0.0.1"}, "::ffff:127.0.0.1"));
  // A mapped entry means its IPv4 address, whichever form the peer arrives in.
  EXPECT_TRUE(matches({"::ffff:10.0.0.1"}, "10.0.0.1"));
  EXPECT_TRUE(matches({"::ffff:10.0.0.1"}, "::ffff:10.0.0.1"));
  EXPECT_TRUE(matches({"::ffff:10.0.0.0/104"}, "10.200.0.1"));
  EXPECT_FALSE(matches({"::ffff:10.0.0.0/104"}, "11.0.0.1"));
}

TEST(AddressMatcher, EmptyMatchesNothing) {
  AddressMatcher none;
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(none.contains(boost::asio::ip::make_address("127.0.0.1")));
  EXPECT_FALSE(AddressMatcher({"127.0.0.1"}).empty());
}

TEST(AddressMatcher, IsIpAddress) {
  EXPECT_TRUE(is_ip_address("127.0.0.1"));
  EXPECT_TRUE(is_ip_address("::"));
  EXPECT_TRUE(is_ip_address("2001:db8::1"));
  EXPECT_FALSE(is_ip_address(""));
  EXPECT_FALSE(is_ip_address("localhost"));
  EXPECT_FALSE(is_ip_address("10.0.0.0/8"));
  EXPECT_FALSE(is_ip_address("1.2.3.4:80"));
}

}  // namespace
}  // namespace xchat
