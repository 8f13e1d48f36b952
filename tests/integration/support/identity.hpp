#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace xchat::client {
class WsClient;
}

namespace xchat::testing {

using client::WsClient;

// An Ed25519 key pair made with libsodium, as a real client would.
struct KeyPair {
  std::string public_key;  // 32 bytes
  std::string secret_key;  // 64 bytes

  static KeyPair generate();
  std::string sign(const std::string& message) const;  // 64-byte detached signature
};

// A test user: a handle, an identity key and one device.
struct TestUser {
  std::string handle;
  KeyPair identity = KeyPair::generate();
  std::uint32_t device_id = 1;
  KeyPair device = KeyPair::generate();

  explicit TestUser(std::string h) : handle(std::move(h)) {}

  // The "device" object vouching for (id, key) with this user's identity key.
  nlohmann::json device_object(std::uint32_t id, const KeyPair& key) const;
  nlohmann::json register_request(std::optional<std::string> invite = std::nullopt) const;
  // This user acting as its device `id`, whose key is `key`.
  TestUser with_device(std::uint32_t id, const KeyPair& key) const;
};

// An X25519 key pair made with libsodium's crypto_box_keypair: a device's key-agreement
// keys. The server only checks their sizes, but tests publish real ones, as clients do.
struct DhKeyPair {
  std::string public_key;  // 32 bytes
  std::string secret_key;  // 32 bytes

  static DhKeyPair generate();
};

// A prekey as keys.upload names it: a client-chosen id and an X25519 key.
struct Prekey {
  std::uint32_t id = 1;
  DhKeyPair key = DhKeyPair::generate();
};

// What one device publishes with keys.upload.
struct DeviceKeys {
  DhKeyPair identity_dh = DhKeyPair::generate();
  Prekey signed_prekey;
  std::vector<Prekey> one_time_prekeys;

  // Fresh keys with `count` one-time prekeys numbered first_id, first_id + 1, ...
  static DeviceKeys generate(std::uint32_t count, std::uint32_t first_id = 1);
};

// `count` fresh one-time prekeys numbered first_id, first_id + 1, ...
std::vector<Prekey> make_prekeys(std::uint32_t count, std::uint32_t first_id = 1);

// A "signed_prekey" object {id, key, signature} whose signature `signer` makes over
// signed_prekey_message(handle_key, device_id, identity_dh_key, id, key). Every argument is
// free so that tests can forge the signatures the server must refuse.
nlohmann::json signed_prekey_object(const KeyPair& signer, std::string_view handle_key,
                                    std::uint32_t device_id, std::string_view identity_dh_key,
                                    std::uint32_t id, std::string_view key);
// The genuine one: `user`'s identity key vouching for `prekey` of device `user.device_id`.
nlohmann::json signed_prekey_object(const TestUser& user, const DhKeyPair& identity_dh,
                                    const Prekey& prekey);
// The "one_time_prekeys" array [{id, key}, ...].
nlohmann::json one_time_prekeys_array(const std::vector<Prekey>& prekeys);
// A keys.upload request publishing all of `keys` for device `user.device_id`.
nlohmann::json keys_upload_request(const TestUser& user, const DeviceKeys& keys);

// Registers `user` and returns the reply frame.
nlohmann::json register_user(WsClient& client, const TestUser& user,
                             std::optional<std::string> invite = std::nullopt);
// auth.challenge then auth.login signed by `user.device`; returns the login reply.
nlohmann::json login(WsClient& client, const TestUser& user,
                     const std::string& server_name = "test.xchat");

}  // namespace xchat::testing
