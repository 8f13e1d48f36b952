#include "net/address_matcher.hpp"

#include <charconv>

namespace xchat::net {

namespace ip = boost::asio::ip;

namespace {

// IPv4-mapped IPv6 peers ("::ffff:10.0.0.1") match IPv4 entries.
ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  }
  return a;
}

template <std::size_t N>
bool prefix_equal(const std::array<unsigned char, N>& a, const std::array<unsigned char, N>& b,
                  unsigned prefix) {
  for (std::size_t i = 0; i < N && prefix > 0; ++i) {
    const unsigned bits = prefix >= 8 ? 8 : prefix;
    const unsigned char mask = static_cast<unsigned char>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
    prefix -= bits;
  }
  return true;
}

}  // namespace

bool is_ip_address(std::string_view text) {
  boost::system::error_code ec;
  ip::make_address(text, ec);
  return !ec;
}

AddressMatcher::AddressMatcher(const std::vector<std::string>& entries) {
  for (const auto& e : entries) {
    if (auto parsed = parse_entry(e)) entries_.push_back(*parsed);
  }
}

std::optional<AddressMatcher::Entry> AddressMatcher::parse_entry(std::string_view text) {
  const auto slash = text.find('/');
  boost::system::error_code ec;
  const ip::address addr = ip::make_address(text.substr(0, slash), ec);
  if (ec) return std::nullopt;
  const unsigned max_prefix = addr.is_v4() ? 32 : 128;
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (err != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
        prefix > max_prefix) {
      return std::nullopt;
    }
  }
  // "::ffff:10.0.0.0/104" is 10.0.0.0/8: the mapped IPv4 part starts at bit 96.
  if (addr.is_v6() && addr.to_v6().is_v4_mapped() && prefix >= 96) {
    return Entry{unmapped(addr), prefix - 96};
  }
  return Entry{addr, prefix};
}

bool AddressMatcher::contains(const ip::address& candidate) const {
  const ip::address a = unmapped(candidate);
  for (const auto& e : entries_) {
    if (e.network.is_v4() && a.is_v4()) {
      if (prefix_equal(e.network.to_v4().to_bytes(), a.to_v4().to_bytes(), e.prefix)) return true;
    } else if (e.network.is_v6() && a.is_v6()) {
      if (prefix_equal(e.network.to_v6().to_bytes(), a.to_v6().to_bytes(), e.prefix)) return true;
    }
  }
  return false;
}

}  // namespace xchat::net
