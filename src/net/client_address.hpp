#pragma once

#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "net/address_matcher.hpp"

namespace xchat::net {

// The address a request really came from. When the TCP peer is a trusted proxy, walks
// X-Forwarded-For from the right and returns the first hop that is not itself a trusted
// proxy (the leftmost entries are client-supplied and can be forged). Malformed entries
// stop the walk at the last trustworthy hop.
boost::asio::ip::address resolve_client_address(const boost::asio::ip::address& peer,
                                                std::string_view forwarded_for,
                                                const AddressMatcher& trusted_proxies);

}  // namespace xchat::net
