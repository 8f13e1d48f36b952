#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/services.hpp"
#include "app/settings.hpp"
#include "fuzz/fuzz_peer.hpp"
#include "metrics/metrics.hpp"
#include "net/connection_limiter.hpp"
#include "net/listener.hpp"
#include "net/net_context.hpp"
#include "net/session_registry.hpp"
#include "service/clock.hpp"
#include "service/expiry_scheduler.hpp"
#include "service/wal_checkpointer.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace xchat::fuzz {

// A whole xchatd in this process, built the way the Server builds it (app/services.hpp)
// over a real store in a temporary directory, listening on a loopback port, with two
// registered accounts: @Alice and @Bob, each with device 1, from the fixed key seeds of
// docs/protocol.md §11 (so that the register and send frames printed there are valid
// here). Its io_context runs on one background thread. Built once per process, on first
// use; the fuzz targets share it. Limits are raised so that inputs reach the code behind
// the rate limits instead of stopping at them.
// An Ed25519 key pair from a fixed seed: the same keys, so the same signatures, every run.
struct SigningKey {
  std::string public_key;  // 32 bytes
  std::string secret_key;  // 64 bytes

  SigningKey() = default;
  explicit SigningKey(unsigned char seed_byte);
  std::string sign(std::string_view message) const;
};

class FuzzServer {
 public:
  static FuzzServer& instance();

  FuzzServer(const FuzzServer&) = delete;
  FuzzServer& operator=(const FuzzServer&) = delete;
  ~FuzzServer();

  // A fresh session, anonymous or logged in (by auth.challenge and auth.login, as a
  // client does) as @Alice device 1.
  std::shared_ptr<FuzzPeer> session(bool logged_in);
  // Dispatches `frame` on `peer`'s strand and waits for its one reply; invariant_failed
  // when none comes.
  std::string call(const std::shared_ptr<FuzzPeer>& peer, std::string_view frame);

  // Sends `request` on a fresh loopback connection, closes the sending side and returns
  // everything the server sent until it closed; invariant_failed when it does not close.
  std::string http_exchange(std::string_view request);

  const std::string& upload_token() const { return upload_token_; }
  const std::string& download_token() const { return download_token_; }
  const std::string& attachment_id() const { return attachment_id_; }

 private:
  FuzzServer();
  void register_account(std::string_view handle, unsigned char identity_seed,
                        unsigned char device_seed);
  // auth.challenge and auth.login as @Alice device 1 on `peer`; the login's result, or
  // the error it got.
  Result<nlohmann::json> login(const std::shared_ptr<FuzzPeer>& peer);
  // Inputs may remove @Alice's device 1 (any device may remove another, once the input
  // added one): put it back, so that later inputs log in as before.
  void restore_alice_device();
  std::string token(std::string_view request);
  void upload_attachment();

  testing::TempDir dir_{"xchat-fuzz"};
  Settings settings_;
  SystemClock clock_;
  Metrics metrics_;
  net::SessionRegistry registry_;
  net::ConnectionLimiter limiter_{metrics_};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<net::NetContext> net_;
  // Destroyed before the services and the store it serves; its timer owners first.
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      ioc_.get_executor()};
  std::unique_ptr<WalCheckpointer> checkpointer_;
  std::unique_ptr<ExpiryScheduler> expiry_;
  std::shared_ptr<net::Listener> listener_;
  std::thread io_thread_;
  SigningKey alice_device_;  // to sign logins
  std::string upload_token_;
  std::string download_token_;
  std::string attachment_id_;
};

}  // namespace xchat::fuzz
