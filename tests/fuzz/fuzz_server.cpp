#include "fuzz/fuzz_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "app/store_options.hpp"
#include "fuzz/targets.hpp"
#include "store/accounts.hpp"
#include "xchat/base64.hpp"
#include "xchat/signing.hpp"

namespace xchat::fuzz {

namespace {

// A reply or a closing server that takes longer than this is a hang, not a slow machine.
constexpr std::chrono::seconds kPatience{10};

// The server's defaults, except where a default would stop inputs early: rate limits and
// upload counts high, files small (an input may ask for any Upload-Length), and no fsync
// per commit (NORMAL) since a fuzzer's database need not survive a power cut.
Config fuzz_config(const std::string& data_dir) {
  constexpr std::int64_t kPlenty = 1'000'000'000;
  Config c;
  c.listen.address = "127.0.0.1";
  c.listen.port = 0;
  c.server.data_dir = data_dir;
  c.limits.login_failures_per_ip_per_minute = kPlenty;
  c.limits.registrations_per_ip_per_hour = kPlenty;
  c.limits.lookups_per_account_per_minute = kPlenty;
  c.limits.key_fetches_per_account_per_minute = kPlenty;
  c.limits.sends_per_account_per_minute = kPlenty;
  c.attachments.max_file_bytes = 1 << 20;
  c.attachments.quota_bytes_per_account = std::int64_t{1} << 30;
  c.attachments.max_uploads_in_progress = 10000;
  c.attachments.token_ttl_seconds = 86'400;
  c.storage.synchronous = "NORMAL";
  return c;
}

// The result object of a reply that must have succeeded (setup only).
nlohmann::json result_of(const std::string& reply, std::string_view what) {
  auto parsed = nlohmann::json::parse(reply, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("result")) {
    invariant_failed(std::string("fuzz setup: ") + std::string(what), reply);
  }
  return parsed["result"];
}

// The JSON body of an HTTP response (setup only).
nlohmann::json body_of(const std::string& response, std::string_view what) {
  const auto start = response.find("\r\n\r\n");
  auto parsed = start == std::string::npos
                    ? nlohmann::json()
                    : nlohmann::json::parse(response.substr(start + 4), nullptr, false);
  if (!parsed.is_object() || parsed.contains("error")) {
    invariant_failed(std::string("fuzz setup: ") + std::string(what), response);
  }
  return parsed;
}

}  // namespace

SigningKey::SigningKey(unsigned char seed_byte) : public_key(32, '\0'), secret_key(64, '\0') {
  const std::string seed(32, static_cast<char>(seed_byte));
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(public_key.data()),
                           reinterpret_cast<unsigned char*>(secret_key.data()),
                           reinterpret_cast<const unsigned char*>(seed.data()));
}

std::string SigningKey::sign(std::string_view message) const {
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_key.data()));
  return signature;
}

FuzzServer& FuzzServer::instance() {
  static FuzzServer server;
  return server;
}

FuzzServer::FuzzServer() : settings_(fuzz_config(dir_.path())) {
  // Logging every refused input would cost more than serving it.
  spdlog::set_level(spdlog::level::off);
  if (sodium_init() < 0) invariant_failed("fuzz setup", "sodium_init failed");

  const auto config = settings_.get();
  auto store = store::Store::open(store_options(*config), &metrics_);
  if (!store) invariant_failed("fuzz setup: store", store.status().message());
  store_ = std::move(*store);

  checkpointer_ = std::make_unique<WalCheckpointer>(ioc_, settings_, *store_, metrics_);
  expiry_ = std::make_unique<ExpiryScheduler>(ioc_, settings_, *store_, clock_, metrics_,
                                              *checkpointer_, messaging_timed_records());
  services_ = std::make_unique<Services>(settings_, *store_, clock_, metrics_, registry_, *expiry_,
                                         *checkpointer_);
  if (Status s = services_->attachments().prepare_files(); !s) {
    invariant_failed("fuzz setup: attachment files", s.message());
  }
  net_ = std::make_unique<net::NetContext>(
      net::NetContext{settings_, metrics_, services_->dispatcher(), services_->attachments(),
                      registry_, limiter_, nullptr, [] { return true; }});
  auto listener = net::Listener::open(
      ioc_, {boost::asio::ip::make_address(config->listen.address), config->listen.port}, *net_);
  if (!listener) invariant_failed("fuzz setup: listen", listener.status().message());
  listener_ = *listener;
  listener_->run();
  expiry_->start();
  checkpointer_->start();
  io_thread_ = std::thread([this] { ioc_.run(); });

  // docs/protocol.md §11's users.
  register_account("@Alice", 0x11, 0x22);
  register_account("@Bob", 0x33, 0x44);
  upload_token_ = token(R"({"type":"attachment.upload_token","id":1})");
  upload_attachment();
  download_token_ = token(R"({"type":"attachment.download_token","id":1,"attachment":")" +
                          attachment_id_ + "\"}");
}

FuzzServer::~FuzzServer() {
  listener_->stop();
  expiry_->stop();
  checkpointer_->stop();
  work_.reset();
  // Connections the server still holds would keep run() going until their timeouts.
  boost::asio::post(ioc_, [this] { ioc_.stop(); });
  io_thread_.join();
  store_->close();
}

void FuzzServer::register_account(std::string_view handle, unsigned char identity_seed,
                                  unsigned char device_seed) {
  const SigningKey identity(identity_seed);
  const SigningKey device(device_seed);
  std::string handle_key(handle);
  for (char& c : handle_key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const nlohmann::json request = {
      {"type", "register"},
      {"id", 1},
      {"handle", handle},
      {"identity_key", base64_encode(identity.public_key)},
      {"device",
       {{"id", 1},
        {"key", base64_encode(device.public_key)},
        {"signature",
         base64_encode(identity.sign(device_binding_message(handle_key, 1, device.public_key)))}}}};
  result_of(call(session(false), request.dump()), "register");
  if (handle == "@Alice") alice_device_ = device;
}

std::shared_ptr<FuzzPeer> FuzzServer::session(bool logged_in) {
  auto peer = std::make_shared<FuzzPeer>(ioc_, registry_, "192.0.2.1");
  peer->registered();
  if (!logged_in) return peer;

  if (!login(peer)) {
    restore_alice_device();
    if (auto reply = login(peer); !reply)
      invariant_failed("fuzz setup: auth.login", reply.status().message());
  }
  return peer;
}

Result<nlohmann::json> FuzzServer::login(const std::shared_ptr<FuzzPeer>& peer) {
  const auto challenge =
      result_of(call(peer, R"({"type":"auth.challenge","id":1})"), "auth.challenge");
  const auto nonce = base64_decode(challenge.value("nonce", ""));
  if (!nonce) invariant_failed("fuzz setup: auth.challenge nonce", challenge.dump());
  const std::string signature =
      alice_device_.sign(login_message(settings_.get()->server.name, "@alice", 1, *nonce));
  const nlohmann::json request = {{"type", "auth.login"},
                                  {"id", 2},
                                  {"handle", "@Alice"},
                                  {"device_id", 1},
                                  {"nonce", base64_encode(*nonce)},
                                  {"signature", base64_encode(signature)}};
  auto reply = nlohmann::json::parse(call(peer, request.dump()));
  if (!reply.contains("result")) return Status(ErrorCode::kInternal, reply.dump());
  return reply["result"];
}

void FuzzServer::restore_alice_device() {
  const Status restored = store_->writer().run([this](store::Database& db) -> Status {
    auto account = store::accounts::find_by_handle(db, "@alice");
    if (!account) return account.status();
    if (!*account) return Status(ErrorCode::kNotFound, "@alice is gone");
    auto key = store::accounts::device_key(db, (*account)->id, 1);
    if (!key) return key.status();
    if (*key) return Status::ok();
    // Past the device limit if need be: the inputs may have filled it.
    return store::accounts::insert_device(db, (*account)->id,
                                          {1, alice_device_.public_key, clock_.unix_seconds()},
                                          std::numeric_limits<std::int64_t>::max());
  });
  if (!restored) invariant_failed("fuzz setup: restoring @alice device 1", restored.message());
}

std::string FuzzServer::call(const std::shared_ptr<FuzzPeer>& peer, std::string_view frame) {
  const std::size_t before = peer->replies();
  boost::asio::post(peer->executor(), [this, peer, text = std::string(frame)] {
    services_->dispatcher().dispatch(peer, text);
  });
  if (!peer->await_replies(before + 1, kPatience)) {
    invariant_failed("no reply within 10 s", frame);
  }
  return peer->last_reply();
}

std::string FuzzServer::token(std::string_view request) {
  const auto result = result_of(call(session(true), request), request);
  if (!result.contains("token") || !result["token"].is_string()) {
    invariant_failed("fuzz setup: no token", result.dump());
  }
  return result["token"].get<std::string>();
}

void FuzzServer::upload_attachment() {
  const std::string auth = "Authorization: Bearer " + upload_token_ + "\r\n";
  const std::string content(64, 'c');
  const auto created = body_of(http_exchange("POST /v1/attachments HTTP/1.1\r\nHost: fuzz\r\n" +
                                             auth + "Upload-Length: 64\r\n\r\n"),
                               "attachment create");
  attachment_id_ = created.value("id", "");
  http_exchange("PATCH /v1/attachments/" + attachment_id_ + " HTTP/1.1\r\nHost: fuzz\r\n" + auth +
                "Upload-Offset: 0\r\nContent-Length: 64\r\n\r\n" + content);
  body_of(http_exchange("POST /v1/attachments/" + attachment_id_ +
                        "/finish HTTP/1.1\r\nHost: fuzz\r\n" + auth + "\r\n"),
          "attachment finish");
}

std::string FuzzServer::http_exchange(std::string_view request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) invariant_failed("fuzz socket", std::strerror(errno));
  const auto endpoint = listener_->local_endpoint();
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(endpoint.port());
  address.sin_addr.s_addr = htonl(endpoint.address().to_v4().to_uint());
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    invariant_failed("fuzz connect", std::strerror(errno));
  }
  // The server may answer and close before reading everything; the rest then fails to
  // send (EPIPE, ECONNRESET), which is its right.
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);

  std::string response;
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) {
      ::close(fd);
      invariant_failed("the server kept the connection open 10 s after the client's end", request);
    }
    char chunk[16384];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;  // closed (or reset)
    response.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response;
}

}  // namespace xchat::fuzz
