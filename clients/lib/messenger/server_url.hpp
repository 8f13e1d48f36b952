#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/ws_client.hpp"

namespace xchat::client {

// Where an xchatd is: parsed from ws://HOST[:PORT][/PATH] or wss://… (port 8480 unless
// given; path /v1/ws unless given; IPv6 hosts in brackets).
struct ServerUrl {
  bool tls = false;
  std::string host;
  std::uint16_t port = 8480;
  std::string target = "/v1/ws";

  static std::optional<ServerUrl> parse(std::string_view url);
  // Connection options for this server, the other fields as `base` has them.
  ConnectOptions options(ConnectOptions base = {}) const;
  // Where the attachment endpoints are: beside the WebSocket's path ("/v1/ws" gives
  // "/v1/attachments"), so that a proxy serving xchatd under a prefix serves them too.
  std::string attachments_target() const;
};

}  // namespace xchat::client
