#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"
#include "xchat/base64.hpp"
#include "xchat/signing.hpp"

namespace xchat::testing {
namespace {

using nlohmann::json;

// `user`'s register request with its "device" object replaced.
json register_with_device(WsClient& c, const TestUser& user, json device) {
  json req = user.register_request();
  req["device"] = std::move(device);
  return c.request(req);
}

// A device object for `user`'s device whose signature is made by `signer` over the binding
// of (handle_key, id): the shapes a forged or misdirected binding can take.
json forged_device(const TestUser& user, const KeyPair& signer, const std::string& handle_key,
                   std::uint32_t signed_id) {
  const std::string message = device_binding_message(handle_key, signed_id, user.device.public_key);
  return {{"id", user.device_id},
          {"key", base64_encode(user.device.public_key)},
          {"signature", base64_encode(signer.sign(message))}};
}

TEST(Registration, SucceedsAndKeepsTheDisplayCase) {
  Daemon d;
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  TestUser alice("@AliCe_1");
  auto reply = register_user(*c, alice);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["handle"], "@AliCe_1");
  EXPECT_EQ(reply["result"]["device_id"], 1);

  // Registration does not log in; the account is usable after a login.
  EXPECT_EQ(error_code(c->request({{"type", "account.info"}})), "unauthenticated");
  ASSERT_TRUE(login(*c, alice).contains("result"));
  auto info = c->request({{"type", "account.info"}});
  ASSERT_TRUE(info.contains("result")) << info.dump();
  EXPECT_EQ(info["result"]["handle"], "@AliCe_1");
  EXPECT_EQ(info["result"]["identity_key"], base64_encode(alice.identity.public_key));
}

TEST(Registration, HandleIsTakenInAnyCase) {
  Daemon d;
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(register_user(*c, TestUser("@Alice")).contains("result"));
  for (const char* handle : {"@Alice", "@alice", "@ALICE", "@aLiCe"}) {
    SCOPED_TRACE(handle);
    auto reply = register_user(*c, TestUser(handle));
    EXPECT_EQ(error_code(reply), "handle_taken") << reply.dump();
  }
}

TEST(Registration, InvalidHandlesAreRefused) {
  Daemon d;
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  const std::vector<std::string> invalid = {
      "alice",              // no "@"
      "@abcdefghijklmnop",  // 16 characters after "@"
      "@ali-ce",            // '-' is not allowed
      "@ali ce",            // nor a space
      " @alice",            // nor surrounding space
      "",                   // empty
      "@",                  // "@" alone
      "@caf\xC3\xA9",       // non-ASCII letter (UTF-8 "é")
  };
  for (const auto& handle : invalid) {
    SCOPED_TRACE("handle '" + handle + "'");
    auto reply = register_user(*c, TestUser(handle));
    EXPECT_EQ(error_code(reply), "invalid_handle") << reply.dump();
  }
  // The longest valid handle is fine.
  auto reply = register_user(*c, TestUser("@abcdefghijklmno"));
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
}

TEST(Registration, MalformedIdentityKeyIsBadRequest) {
  Daemon d;
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  TestUser alice("@alice");
  const std::vector<std::string> bad_keys = {
      base64_encode(std::string(31, 'k')),                 // too short
      base64_encode(std::string(33, 'k')),                 // too long
      "this is not base64!!",                              // not base64
      base64_encode(alice.identity.public_key).substr(1),  // padding broken
  };
  for (const auto& key : bad_keys) {
    SCOPED_TRACE(key);
    json req = alice.register_request();
    req["identity_key"] = key;
    auto reply = c->request(req);
    EXPECT_EQ(error_code(reply), "bad_request") << reply.dump();
  }
  json req = alice.register_request();
  req["identity_key"] = 42;
  EXPECT_EQ(error_code(c->request(req)), "bad_request");
}

TEST(Registration, DeviceSignedByWrongKeyIsRefusedAndNothingStored) {
  Daemon d;
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  TestUser alice("@Alice");
  const KeyPair stranger = KeyPair::generate();
  for (const KeyPair& signer : {alice.device, stranger}) {
    auto reply = register_with_device(*c, alice, forged_device(alice, signer, "@alice", 1));
    EXPECT_EQ(error_code(reply), "bad_signature") << reply.dump();
  }
  EXPECT_EQ(error_code(login(*c, alice)), "unknown_device");
  auto reply = register_user(*c, alice);
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
}

TEST(Registration, DeviceSignatureOverOtherHandleOrDeviceIsRefused) {
  Daemon d;
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  TestUser alice("@Alice");
  // A binding signed for another handle, or for another device id, must not transfer.
  auto reply = register_with_device(*c, alice, forged_device(alice, alice.identity, "@mallory", 1));
  EXPECT_EQ(error_code(reply), "bad_signature") << reply.dump();
  reply = register_with_device(*c, alice, forged_device(alice, alice.identity, "@alice", 2));
  EXPECT_EQ(error_code(reply), "bad_signature") << reply.dump();
  // The binding covers the lower-case handle, so the display case does not matter.
  reply = register_with_device(*c, alice, forged_device(alice, alice.identity, "@Alice", 1));
  EXPECT_EQ(error_code(reply), "bad_signature") << reply.dump();

  reply = register_user(*c, alice);
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
}

TEST(Registration, RegisterAfterLoginIsAlreadyAuthenticated) {
  Daemon d;
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  TestUser alice("@alice");
  ASSERT_TRUE(register_user(*c, alice).contains("result"));
  ASSERT_TRUE(login(*c, alice).contains("result"));
  TestUser bob("@bob");
  EXPECT_EQ(error_code(register_user(*c, bob)), "already_authenticated");
  // Nothing was registered for bob.
  auto other = connect_or_fail(d);
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(register_user(*other, bob).contains("result"));
}

TEST(Registration, RateLimitedPerAddressWhileConnectionStaysUsable) {
  Daemon d(Overrides{{"limits.registrations_per_ip_per_hour", "3"}});
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  for (const char* handle : {"@user1", "@user2", "@user3"}) {
    auto reply = register_user(*c, TestUser(handle));
    ASSERT_TRUE(reply.contains("result")) << handle << ": " << reply.dump();
  }
  TestUser fourth("@user4");
  auto reply = register_user(*c, fourth);
  EXPECT_EQ(error_code(reply), "rate_limited") << reply.dump();

  EXPECT_TRUE(c->request({{"type", "ping"}}).contains("result"));
  EXPECT_EQ(error_code(login(*c, fourth)), "unknown_device");
  auto other = connect_or_fail(d);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(error_code(register_user(*other, fourth)), "rate_limited");

  // The budget is per source address.
  auto elsewhere = connect_or_fail(d, from_address("127.0.0.2"));
  ASSERT_NE(elsewhere, nullptr);
  reply = register_user(*elsewhere, fourth);
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
}

TEST(Registration, AccountSurvivesRestart) {
  Daemon d;
  TestUser alice("@Alice");
  {
    auto c = connect_or_fail(d);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(register_user(*c, alice).contains("result"));
  }
  ASSERT_EQ(d.stop(SIGTERM), 0);
  d.start();
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  auto reply = login(*c, alice);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["handle"], "@Alice");
  auto fresh = connect_or_fail(d);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(error_code(register_user(*fresh, TestUser("@ALICE"))), "handle_taken");
}

}  // namespace
}  // namespace xchat::testing
