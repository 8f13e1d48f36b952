#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "net/close_code.hpp"

namespace xchat {
struct SessionContext;
}

namespace xchat::net {

// What the service layer sees of a WebSocket connection.
class Peer {
 public:
  virtual ~Peer() = default;

  // Queues a server push. Thread-safe.
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  // Queues a push that may be lost (ephemeral envelopes): dropped instead of queued when
  // the outbound queue is over half its limit, so no sender can push a slow reader into
  // the 1008 close with them. Thread-safe.
  virtual void send_best_effort(std::shared_ptr<const std::string> frame) = 0;
  // Queues the reply to one request and counts that request as finished (the session
  // reads at most limits.max_requests_in_flight requests ahead). Thread-safe. Call exactly
  // once per dispatched request.
  virtual void reply(std::string frame) = 0;
  // Closes the connection with `code`. Thread-safe; idempotent.
  virtual void close(CloseCode code, std::string_view reason) = 0;

  // The connection's strand: completions that touch context() must run on it.
  virtual boost::asio::any_io_executor executor() = 0;
  // REQUIRES: running on executor().
  virtual SessionContext& context() = 0;
};

}  // namespace xchat::net
