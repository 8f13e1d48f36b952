#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"
#include "xchat/base64.hpp"

namespace xchat::testing {
namespace {

using nlohmann::json;

// `user` acting as another of its devices.
TestUser as_device(const TestUser& user, std::uint32_t id, const KeyPair& key) {
  TestUser other = user;
  other.device_id = id;
  other.device = key;
  return other;
}

json add_device(WsClient& c, const json& device) {
  return c.request({{"type", "device.add"}, {"device", device}});
}

json remove_device(WsClient& c, std::uint32_t id) {
  return c.request({{"type", "device.remove"}, {"device_id", id}});
}

json list_devices(WsClient& c) {
  auto reply = c.request({{"type", "device.list"}});
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
  return reply.contains("result") ? reply["result"]["devices"] : json::array();
}

std::set<std::uint32_t> device_ids(WsClient& c) {
  std::set<std::uint32_t> ids;
  for (const auto& d : list_devices(c)) ids.insert(d["id"].get<std::uint32_t>());
  return ids;
}

// Login on a fresh connection; returns the error code ("" on success).
std::string login_error(const Daemon& d, const TestUser& user) {
  auto c = connect_or_fail(d);
  return c == nullptr ? "no connection" : error_code(login(*c, user));
}

TEST(Devices, AddedDeviceCanLogIn) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_and_log_in(d, alice);
  ASSERT_NE(c, nullptr);
  const KeyPair key2 = KeyPair::generate();
  auto reply = add_device(*c, alice.device_object(2, key2));
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["device_id"], 2);

  auto second = log_in_on_new_connection(d, as_device(alice, 2, key2));
  ASSERT_NE(second, nullptr);
  auto info = second->request({{"type", "account.info"}});
  EXPECT_EQ(info["result"]["device_id"], 2) << info.dump();
  // Both devices stay connected: they are different devices.
  EXPECT_TRUE(c->request({{"type", "ping"}}).contains("result"));
}

TEST(Devices, AddSignedByTheDeviceKeyIsBadSignature) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_and_log_in(d, alice);
  ASSERT_NE(c, nullptr);
  // Only the identity key may vouch for a device; a device key cannot add another device.
  const KeyPair key2 = KeyPair::generate();
  TestUser signed_by_device = alice;
  signed_by_device.identity = alice.device;
  auto reply = add_device(*c, signed_by_device.device_object(2, key2));
  EXPECT_EQ(error_code(reply), "bad_signature") << reply.dump();
  EXPECT_EQ(device_ids(*c), std::set<std::uint32_t>({1}));
  EXPECT_EQ(login_error(d, as_device(alice, 2, key2)), "unknown_device");
}

TEST(Devices, DuplicateIdIsDeviceExists) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_and_log_in(d, alice);
  ASSERT_NE(c, nullptr);
  const KeyPair key2 = KeyPair::generate();
  EXPECT_EQ(error_code(add_device(*c, alice.device_object(1, key2))), "device_exists");
  ASSERT_TRUE(add_device(*c, alice.device_object(2, key2)).contains("result"));
  const KeyPair other = KeyPair::generate();
  EXPECT_EQ(error_code(add_device(*c, alice.device_object(2, other))), "device_exists");
  // The original device 2 key still logs in; the refused one does not.
  EXPECT_EQ(login_error(d, as_device(alice, 2, key2)), "");
  EXPECT_EQ(login_error(d, as_device(alice, 2, other)), "bad_signature");
}

TEST(Devices, AccountDeviceLimitIsTooManyDevices) {
  Daemon d(Overrides{{"limits.max_devices_per_account", "2"}});
  TestUser alice("@alice");
  auto c = register_and_log_in(d, alice);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(add_device(*c, alice.device_object(2, KeyPair::generate())).contains("result"));
  auto reply = add_device(*c, alice.device_object(3, KeyPair::generate()));
  EXPECT_EQ(error_code(reply), "too_many_devices") << reply.dump();
  EXPECT_EQ(device_ids(*c), std::set<std::uint32_t>({1, 2}));
}

TEST(Devices, ListShowsIdsAndKeys) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_and_log_in(d, alice);
  ASSERT_NE(c, nullptr);
  const KeyPair key9 = KeyPair::generate();
  ASSERT_TRUE(add_device(*c, alice.device_object(9, key9)).contains("result"));
  std::map<std::uint32_t, std::string> keys;
  for (const auto& device : list_devices(*c)) {
    EXPECT_TRUE(device["created_at"].is_number_integer()) << device.dump();
    keys[device["id"].get<std::uint32_t>()] = device["key"].get<std::string>();
  }
  const std::map<std::uint32_t, std::string> expected = {
      {1, base64_encode(alice.device.public_key)}, {9, base64_encode(key9.public_key)}};
  EXPECT_EQ(keys, expected);
}

TEST(Devices, RemovingAConnectedDeviceClosesItsSession) {
  Daemon d;
  TestUser alice("@alice");
  auto first = register_and_log_in(d, alice);
  ASSERT_NE(first, nullptr);
  const KeyPair key2 = KeyPair::generate();
  ASSERT_TRUE(add_device(*first, alice.device_object(2, key2)).contains("result"));
  const TestUser device2 = as_device(alice, 2, key2);
  auto second = log_in_on_new_connection(d, device2);
  ASSERT_NE(second, nullptr);

  auto reply = remove_device(*first, 2);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["device_id"], 2);
  EXPECT_EQ(second->wait_close(std::chrono::seconds(5)), 4403);
  EXPECT_EQ(login_error(d, device2), "unknown_device");
  EXPECT_EQ(device_ids(*first), std::set<std::uint32_t>({1}));
}

TEST(Devices, LastDeviceCannotBeRemoved) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_and_log_in(d, alice);
  ASSERT_NE(c, nullptr);
  auto reply = remove_device(*c, 1);
  EXPECT_EQ(error_code(reply), "last_device") << reply.dump();
  EXPECT_EQ(device_ids(*c), std::set<std::uint32_t>({1}));
  EXPECT_TRUE(c->is_open());
}

TEST(Devices, RemovingAnUnknownIdIsUnknownDevice) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_and_log_in(d, alice);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(error_code(remove_device(*c, 5)), "unknown_device");
  ASSERT_TRUE(add_device(*c, alice.device_object(2, KeyPair::generate())).contains("result"));
  EXPECT_EQ(error_code(remove_device(*c, 5)), "unknown_device");
  // Another account's device ids are not ours to remove.
  TestUser bob("@bob");
  auto other = register_and_log_in(d, bob);
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(add_device(*other, bob.device_object(3, KeyPair::generate())).contains("result"));
  EXPECT_EQ(error_code(remove_device(*c, 3)), "unknown_device");
  EXPECT_EQ(device_ids(*other), std::set<std::uint32_t>({1, 3}));
  EXPECT_EQ(device_ids(*c), std::set<std::uint32_t>({1, 2}));
}

}  // namespace
}  // namespace xchat::testing
