#include "messenger/server_url.hpp"

#include <charconv>

namespace xchat::client {

std::optional<ServerUrl> ServerUrl::parse(std::string_view url) {
  ServerUrl out;
  if (url.rfind("wss://", 0) == 0) {
    out.tls = true;
    url.remove_prefix(6);
  } else if (url.rfind("ws://", 0) == 0) {
    url.remove_prefix(5);
  } else {
    return std::nullopt;
  }
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.target.assign(url.substr(slash));
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host.assign(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host.assign(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

ConnectOptions ServerUrl::options(ConnectOptions base) const {
  base.host = host;
  base.tls = tls;
  base.target = target;
  return base;
}

std::string ServerUrl::attachments_target() const {
  constexpr std::string_view kWs = "/ws";
  const std::string_view t = target;
  if (t.size() >= kWs.size() && t.substr(t.size() - kWs.size()) == kWs) {
    return std::string(t.substr(0, t.size() - kWs.size())) + "/attachments";
  }
  return "/v1/attachments";
}

}  // namespace xchat::client
