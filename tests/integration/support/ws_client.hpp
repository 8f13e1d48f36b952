#pragma once

#include "net/ws_client.hpp"

namespace xchat::testing {

// The tests talk to xchatd through the client library's WebSocket client.
using client::ConnectOptions;
using client::WsClient;
using namespace std::chrono_literals;

}  // namespace xchat::testing
