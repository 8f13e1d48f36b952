#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "net/peer.hpp"
#include "net/session_registry.hpp"
#include "service/session_context.hpp"

namespace xchat::fuzz {

// A WebSocket session without the socket: what the dispatcher and services see of a
// connection (net::Peer), with the registry bookkeeping WsSession does. Every reply and
// push is checked as it arrives (invariant_failed when it is not a well-formed frame).
// Thread-safe as net::Peer requires.
class FuzzPeer final : public net::Peer, public std::enable_shared_from_this<FuzzPeer> {
 public:
  // REQUIRES: `registry` outlives the peer. Call registered() once it is owned by a
  // shared_ptr, as WsSession does when its handshake starts.
  FuzzPeer(boost::asio::io_context& ioc, net::SessionRegistry& registry, std::string client_ip);
  ~FuzzPeer() override;
  void registered();

  void send(std::shared_ptr<const std::string> frame) override;
  void send_best_effort(std::shared_ptr<const std::string> frame) override;
  void reply(std::string frame) override;
  void close(net::CloseCode code, std::string_view reason) override;
  boost::asio::any_io_executor executor() override { return strand_; }
  SessionContext& context() override { return context_; }

  // How many replies arrived so far.
  std::size_t replies() const;
  // Blocks until `count` replies arrived in all, or `timeout` passed; false on timeout.
  bool await_replies(std::size_t count, std::chrono::milliseconds timeout);
  // The text of the last reply (empty before any).
  std::string last_reply() const;
  bool closed() const;

 private:
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  net::SessionRegistry& registry_;
  SessionContext context_;  // on strand_ only

  mutable std::mutex mu_;
  std::condition_variable replied_;
  std::size_t replies_ = 0;  // guarded by mu_
  std::string last_reply_;   // guarded by mu_
  bool closed_ = false;      // guarded by mu_
};

}  // namespace xchat::fuzz
