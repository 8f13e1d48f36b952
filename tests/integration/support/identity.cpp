#include "integration/support/identity.hpp"

#include <sodium.h>

#include <algorithm>

#include "integration/support/ws_client.hpp"
#include "xchat/base64.hpp"
#include "xchat/handle.hpp"
#include "xchat/signing.hpp"

namespace xchat::testing {

KeyPair KeyPair::generate() {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
  KeyPair k;
  k.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  k.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(k.public_key.data()),
                      reinterpret_cast<unsigned char*>(k.secret_key.data()));
  return k;
}

std::string KeyPair::sign(const std::string& message) const {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_key.data()));
  return sig;
}

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

nlohmann::json TestUser::device_object(std::uint32_t id, const KeyPair& key) const {
  const std::string message = device_binding_message(lower(handle), id, key.public_key);
  return {{"id", id},
          {"key", base64_encode(key.public_key)},
          {"signature", base64_encode(identity.sign(message))}};
}

nlohmann::json TestUser::register_request(std::optional<std::string> invite) const {
  nlohmann::json req = {{"type", "register"},
                        {"handle", handle},
                        {"identity_key", base64_encode(identity.public_key)},
                        {"device", device_object(device_id, device)}};
  if (invite) req["invite"] = *invite;
  return req;
}

nlohmann::json register_user(WsClient& client, const TestUser& user,
                             std::optional<std::string> invite) {
  return client.request(user.register_request(std::move(invite)));
}

nlohmann::json login(WsClient& client, const TestUser& user, const std::string& server_name) {
  auto challenge = client.request({{"type", "auth.challenge"}});
  if (!challenge.contains("result")) return challenge;
  const auto nonce = base64_decode(challenge["result"]["nonce"].get<std::string>());
  const std::string message =
      login_message(server_name, lower(user.handle), user.device_id, nonce.value_or(""));
  return client.request({{"type", "auth.login"},
                         {"handle", user.handle},
                         {"device_id", user.device_id},
                         {"nonce", challenge["result"]["nonce"]},
                         {"signature", base64_encode(user.device.sign(message))}});
}

}  // namespace xchat::testing
