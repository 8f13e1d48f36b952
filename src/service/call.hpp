#pragma once

#include <boost/asio/post.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "metrics/metrics.hpp"
#include "net/peer.hpp"
#include "service/session_context.hpp"
#include "xchat/status.hpp"

namespace xchat {

// One request being served: its session, id and body, and the way to answer it.
// Cheap to copy into completion handlers (it shares the body). Exactly one of ok() or
// fail() must be called, once, over all copies.
class Call {
 public:
  Call(std::shared_ptr<net::Peer> peer, nlohmann::json id,
       std::shared_ptr<const nlohmann::json> body, Metrics& metrics)
      : peer_(std::move(peer)), id_(std::move(id)), body_(std::move(body)), metrics_(&metrics) {}

  const nlohmann::json& body() const { return *body_; }
  const std::shared_ptr<net::Peer>& peer() const { return peer_; }
  // REQUIRES: running on the session's strand.
  SessionContext& context() const { return peer_->context(); }

  void ok(const nlohmann::json& result) const;
  void fail(const Status& status) const;
  // An error whose code documents extra fields (stale_devices lists the devices).
  void fail(const Status& status, nlohmann::json details) const;

  // Runs `fn` on the session's strand: the way back from the store writer's thread.
  template <class Fn>
  void on_strand(Fn&& fn) const {
    boost::asio::post(peer_->executor(), std::forward<Fn>(fn));
  }

 private:
  std::shared_ptr<net::Peer> peer_;
  nlohmann::json id_;
  std::shared_ptr<const nlohmann::json> body_;
  Metrics* metrics_;
};

}  // namespace xchat
