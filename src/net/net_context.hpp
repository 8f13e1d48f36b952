#pragma once

#include <boost/asio/ssl/context.hpp>
#include <functional>

#include "app/settings.hpp"
#include "metrics/metrics.hpp"
#include "net/connection_limiter.hpp"
#include "net/session_registry.hpp"

namespace xchat {
class AttachmentService;
class Dispatcher;
}

namespace xchat::net {

// What every connection needs from the rest of the server. Built once by the Server,
// which outlives every session.
struct NetContext {
  const Settings& settings;
  Metrics& metrics;
  Dispatcher& dispatcher;
  AttachmentService& attachments;
  SessionRegistry& registry;
  ConnectionLimiter& limiter;
  boost::asio::ssl::context* tls;  // null: plain TCP
  std::function<bool()> healthy;   // GET /healthz: is the store usable?
};

}  // namespace xchat::net
