#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>
#include <string_view>

#include "net/address_matcher.hpp"

namespace xchat::net {

// The address a request really came from. When the TCP peer is a trusted proxy, walks
// X-Forwarded-For from the right and returns the first hop that is not itself a trusted
// proxy (the leftmost entries are client-supplied and can be forged). Malformed entries
// stop the walk at the last trustworthy hop.
boost::asio::ip::address resolve_client_address(const boost::asio::ip::address& peer,
                                                std::string_view forwarded_for,
                                                const AddressMatcher& trusted_proxies);

// The key per-address limits count under: the address itself for IPv4, its /64 network
// for IPv6 (one subscriber line usually gets a whole /64, so counting single IPv6
// addresses would let one host dodge every per-address limit). E.g. "2001:db8:1:2::/64".
std::string limit_key(const boost::asio::ip::address& address);

}  // namespace xchat::net
