#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace xchat::testing {

class WsClient;

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
};

// Registers `user` and returns the reply frame.
nlohmann::json register_user(WsClient& client, const TestUser& user,
                             std::optional<std::string> invite = std::nullopt);
// auth.challenge then auth.login signed by `user.device`; returns the login reply.
nlohmann::json login(WsClient& client, const TestUser& user,
                     const std::string& server_name = "test.xchat");

}  // namespace xchat::testing
