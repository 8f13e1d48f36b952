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

TestUser TestUser::with_device(std::uint32_t id, const KeyPair& key) const {
  TestUser other = *this;
  other.device_id = id;
  other.device = key;
  return other;
}

DhKeyPair DhKeyPair::generate() {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
  DhKeyPair k;
  k.public_key.resize(crypto_box_PUBLICKEYBYTES);
  k.secret_key.resize(crypto_box_SECRETKEYBYTES);
  crypto_box_keypair(reinterpret_cast<unsigned char*>(k.public_key.data()),
                     reinterpret_cast<unsigned char*>(k.secret_key.data()));
  return k;
}

std::vector<Prekey> make_prekeys(std::uint32_t count, std::uint32_t first_id) {
  std::vector<Prekey> prekeys;
  for (std::uint32_t i = 0; i < count; ++i) prekeys.push_back(Prekey{first_id + i});
  return prekeys;
}

DeviceKeys DeviceKeys::generate(std::uint32_t count, std::uint32_t first_id) {
  DeviceKeys keys;
  keys.one_time_prekeys = make_prekeys(count, first_id);
  return keys;
}

nlohmann::json signed_prekey_object(const KeyPair& signer, std::string_view handle_key,
                                    std::uint32_t device_id, std::string_view identity_dh_key,
                                    std::uint32_t id, std::string_view key) {
  const std::string message =
      signed_prekey_message(handle_key, device_id, identity_dh_key, id, key);
  return {
      {"id", id}, {"key", base64_encode(key)}, {"signature", base64_encode(signer.sign(message))}};
}

nlohmann::json signed_prekey_object(const TestUser& user, const DhKeyPair& identity_dh,
                                    const Prekey& prekey) {
  return signed_prekey_object(user.identity, lower(user.handle), user.device_id,
                              identity_dh.public_key, prekey.id, prekey.key.public_key);
}

nlohmann::json one_time_prekeys_array(const std::vector<Prekey>& prekeys) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& p : prekeys) {
    array.push_back({{"id", p.id}, {"key", base64_encode(p.key.public_key)}});
  }
  return array;
}

nlohmann::json keys_upload_request(const TestUser& user, const DeviceKeys& keys) {
  return {{"type", "keys.upload"},
          {"identity_dh_key", base64_encode(keys.identity_dh.public_key)},
          {"signed_prekey", signed_prekey_object(user, keys.identity_dh, keys.signed_prekey)},
          {"one_time_prekeys", one_time_prekeys_array(keys.one_time_prekeys)}};
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
