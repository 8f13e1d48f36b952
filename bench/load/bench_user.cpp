#include "load/bench_user.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>

#include "xchat/base64.hpp"
#include "xchat/signing.hpp"

namespace xchat::bench {

KeyPair KeyPair::generate() {
  KeyPair k;
  k.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  k.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(k.public_key.data()),
                      reinterpret_cast<unsigned char*>(k.secret_key.data()));
  return k;
}

std::string KeyPair::sign(std::string_view message) const {
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_key.data()));
  return signature;
}

BenchUser::BenchUser(std::string display_handle)
    : handle(std::move(display_handle)), handle_key(handle) {
  std::transform(handle_key.begin(), handle_key.end(), handle_key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
}

std::string make_run_tag() {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string tag;
  for (int i = 0; i < 5; ++i) {
    tag.push_back(kAlphabet[randombytes_uniform(static_cast<std::uint32_t>(kAlphabet.size()))]);
  }
  return tag;
}

std::string bench_handle(std::string_view tag, char role, std::size_t index) {
  std::string handle = "@";
  handle.append(tag).push_back(role);
  return handle.append(std::to_string(index));
}

void register_user(Connection& conn, const BenchUser& user, StepDone done) {
  const std::string binding =
      device_binding_message(user.handle_key, user.device_id, user.device.public_key);
  const nlohmann::json request = {{"type", "register"},
                                  {"handle", user.handle},
                                  {"identity_key", base64_encode(user.identity.public_key)},
                                  {"device",
                                   {{"id", user.device_id},
                                    {"key", base64_encode(user.device.public_key)},
                                    {"signature", base64_encode(user.identity.sign(binding))}}}};
  if (!conn.is_open()) return done("register: connection closed");
  conn.request_object(request, [done = std::move(done)](const nlohmann::json& reply) {
    done(reply.contains("result") ? "" : "register: " + error_text_of(reply));
  });
}

void log_in(Connection& conn, const BenchUser& user, StepDone done) {
  Connection* c = &conn;
  const BenchUser* u = &user;
  if (!conn.is_open()) return done("auth.challenge: connection closed");
  conn.request(R"("type":"auth.challenge")", [c, u, done = std::move(done)](
                                                 const nlohmann::json& reply) mutable {
    const auto result = reply.find("result");
    if (result == reply.end()) return done("auth.challenge: " + error_text_of(reply));
    const std::string nonce_b64 = result->value("nonce", "");
    const auto nonce = base64_decode(nonce_b64);
    if (!nonce) return done("auth.challenge: reply without a valid nonce");
    // A client signs the name of the server it means to talk to. The generator means to
    // talk to whichever server it was pointed at, so the name the server reports will do.
    const std::string message =
        login_message(result->value("server", ""), u->handle_key, u->device_id, *nonce);
    const nlohmann::json login = {{"type", "auth.login"},
                                  {"handle", u->handle},
                                  {"device_id", u->device_id},
                                  {"nonce", nonce_b64},
                                  {"signature", base64_encode(u->device.sign(message))}};
    if (!c->is_open()) return done("auth.login: connection closed");
    c->request_object(login, [done = std::move(done)](const nlohmann::json& login_reply) {
      done(login_reply.contains("result") ? "" : "auth.login: " + error_text_of(login_reply));
    });
  });
}

void open_and_log_in(const std::shared_ptr<Connection>& conn, const BenchUser& user,
                     bool register_first, StepDone done) {
  Connection* c = conn.get();
  const BenchUser* u = &user;
  conn->open([c, u, register_first, done = std::move(done)](const std::string& error) mutable {
    if (!error.empty()) return done(error);
    if (!register_first) return log_in(*c, *u, std::move(done));
    register_user(*c, *u, [c, u, done = std::move(done)](const std::string& e) mutable {
      if (!e.empty()) return done(e);
      log_in(*c, *u, std::move(done));
    });
  });
}

}  // namespace xchat::bench
