#pragma once

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xchat::net {

bool is_ip_address(std::string_view text);

// A set of IP addresses and CIDR ranges ("10.0.0.0/8", "::1", "fd00::/8"), e.g. the
// trusted reverse proxies. Immutable after construction; thread-safe to share.
class AddressMatcher {
 public:
  struct Entry {
    boost::asio::ip::address network;
    unsigned prefix = 0;
  };

  AddressMatcher() = default;
  // REQUIRES: every entry passes parse_entry (the config validates them).
  explicit AddressMatcher(const std::vector<std::string>& entries);

  static std::optional<Entry> parse_entry(std::string_view text);

  bool contains(const boost::asio::ip::address& addr) const;
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

}  // namespace xchat::net
