#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"
#include "xchat/base64.hpp"
#include "xchat/handle.hpp"
#include "xchat/signing.hpp"

namespace xchat::testing {
namespace {

using nlohmann::json;

constexpr const char* kServerName = "test.xchat";

// A connection on which `user` was registered; it is not logged in.
std::unique_ptr<WsClient> register_on_new_connection(const Daemon& d, const TestUser& user) {
  auto c = connect_or_fail(d);
  if (c != nullptr) {
    auto reply = register_user(*c, user);
    EXPECT_TRUE(reply.contains("result")) << reply.dump();
  }
  return c;
}

// The nonce of one auth.challenge, as sent (base64) and as signed (raw).
struct Nonce {
  std::string text;
  std::string raw;
};

Nonce challenge(WsClient& c) {
  auto reply = c.request({{"type", "auth.challenge"}});
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
  if (!reply.contains("result")) return {};
  const std::string text = reply["result"]["nonce"];
  return {text, base64_decode(text).value_or("")};
}

// auth.login as `user` answering `nonce`, signed by `signer` for the server named `server`.
json login_request(const TestUser& user, const Nonce& nonce, const KeyPair& signer,
                   const std::string& server = kServerName) {
  const std::string handle_key = parse_handle(user.handle).value_or(Handle{}).key;
  const std::string message = login_message(server, handle_key, user.device_id, nonce.raw);
  return {{"type", "auth.login"},
          {"handle", user.handle},
          {"device_id", user.device_id},
          {"nonce", nonce.text},
          {"signature", base64_encode(signer.sign(message))}};
}

TEST(Login, SucceedsAndReportsTheSubscription) {
  Daemon d;
  TestUser alice("@Alice");
  auto c = register_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  auto reply = login(*c, alice);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["handle"], "@Alice");
  EXPECT_EQ(reply["result"]["device_id"], 1);
  EXPECT_EQ(reply["result"]["subscription"],
            json({{"required", false}, {"active", false}, {"until", nullptr}}));
  auto info = c->request({{"type", "account.info"}});
  ASSERT_TRUE(info.contains("result")) << info.dump();
  EXPECT_EQ(info["result"]["device_id"], 1);
}

TEST(Login, ChallengeNamesTheServer) {
  Daemon d;
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  auto reply = c->request({{"type", "auth.challenge"}});
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"]["server"], kServerName);
  EXPECT_EQ(reply["result"]["expires_in"], 60);
  EXPECT_EQ(base64_decode(reply["result"]["nonce"].get<std::string>()).value_or("").size(), 32u);
  EXPECT_NE(challenge(*c).text, reply["result"]["nonce"]) << "nonces must be fresh";
}

TEST(Login, SignatureByAnotherKeyIsBadSignature) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  const KeyPair stranger = KeyPair::generate();
  for (const KeyPair& signer : {alice.identity, stranger}) {
    auto reply = c->request(login_request(alice, challenge(*c), signer));
    EXPECT_EQ(error_code(reply), "bad_signature") << reply.dump();
  }
  EXPECT_EQ(error_code(c->request({{"type", "account.info"}})), "unauthenticated");
}

TEST(Login, SignatureForAnotherServerIsBadSignature) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  auto reply = login(*c, alice, "other.xchat");
  EXPECT_EQ(error_code(reply), "bad_signature") << reply.dump();
  EXPECT_TRUE(login(*c, alice).contains("result"));
}

TEST(Login, UnknownHandleAndUnknownDeviceLookTheSame) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  TestUser nobody("@nobody");
  TestUser other_device = alice;
  other_device.device_id = 7;
  auto unknown_handle = login(*c, nobody);
  auto unknown_device = login(*c, other_device);
  EXPECT_EQ(error_code(unknown_handle), "unknown_device") << unknown_handle.dump();
  EXPECT_EQ(error_code(unknown_device), "unknown_device") << unknown_device.dump();
  // Not even the message tells a prober whether the handle exists.
  EXPECT_EQ(unknown_handle["error"]["message"], unknown_device["error"]["message"]);
}

TEST(Login, NonceOfASuccessfulLoginCannotBeReplayed) {
  Daemon d;
  TestUser alice("@alice");
  auto first = register_on_new_connection(d, alice);
  ASSERT_NE(first, nullptr);
  const json request = login_request(alice, challenge(*first), alice.device);
  ASSERT_TRUE(first->request(request).contains("result"));

  auto second = connect_or_fail(d);
  ASSERT_NE(second, nullptr);
  challenge(*second);  // a live challenge of its own does not make the old nonce valid
  auto reply = second->request(request);
  EXPECT_EQ(error_code(reply), "nonce_unknown") << reply.dump();
}

TEST(Login, NonceIsSingleUseEvenWhenTheAttemptFailed) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  const Nonce nonce = challenge(*c);
  EXPECT_EQ(error_code(c->request(login_request(alice, nonce, alice.identity))), "bad_signature");
  auto reply = c->request(login_request(alice, nonce, alice.device));
  EXPECT_EQ(error_code(reply), "nonce_unknown") << reply.dump();
  EXPECT_TRUE(login(*c, alice).contains("result"));
}

TEST(Login, NonceFromAnotherConnectionIsUnknown) {
  Daemon d;
  TestUser alice("@alice");
  auto owner = register_on_new_connection(d, alice);
  ASSERT_NE(owner, nullptr);
  auto thief = connect_or_fail(d);
  ASSERT_NE(thief, nullptr);
  const json request = login_request(alice, challenge(*owner), alice.device);
  auto reply = thief->request(request);
  EXPECT_EQ(error_code(reply), "nonce_unknown") << reply.dump();
  // The thief's attempt did not spend the owner's nonce.
  reply = owner->request(request);
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
}

TEST(Login, ExpiredNonceIsRefused) {
  Daemon d(Overrides{{"limits.challenge_ttl_seconds", "1"}});
  TestUser alice("@alice");
  auto c = register_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  auto issued = c->request({{"type", "auth.challenge"}});
  ASSERT_TRUE(issued.contains("result")) << issued.dump();
  EXPECT_EQ(issued["result"]["expires_in"], 1);
  const std::string text = issued["result"]["nonce"];
  const Nonce nonce{text, base64_decode(text).value_or("")};
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto reply = c->request(login_request(alice, nonce, alice.device));
  EXPECT_EQ(error_code(reply), "nonce_expired") << reply.dump();
  EXPECT_TRUE(login(*c, alice).contains("result"));
}

TEST(Login, LoggingInTwiceIsAlreadyAuthenticated) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  const Nonce spare = challenge(*c);
  ASSERT_TRUE(login(*c, alice).contains("result"));
  EXPECT_EQ(error_code(c->request({{"type", "auth.challenge"}})), "already_authenticated");
  EXPECT_EQ(error_code(c->request(login_request(alice, spare, alice.device))),
            "already_authenticated");
  EXPECT_TRUE(c->request({{"type", "account.info"}}).contains("result"));
}

TEST(Login, AuthenticatedRequestsNeedALogin) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  const std::vector<json> requests = {
      {{"type", "account.info"}},
      {{"type", "device.list"}},
      {{"type", "device.add"}, {"device", alice.device_object(2, KeyPair::generate())}},
      {{"type", "device.remove"}, {"device_id", 1}},
      {{"type", "user.lookup"}, {"handle", "@alice"}},
  };
  for (const auto& request : requests) {
    SCOPED_TRACE(request.dump());
    EXPECT_EQ(error_code(c->request(request)), "unauthenticated");
  }
  ASSERT_TRUE(login(*c, alice).contains("result"));
  auto devices = c->request({{"type", "device.list"}});
  ASSERT_TRUE(devices.contains("result")) << devices.dump();
  EXPECT_EQ(devices["result"]["devices"].size(), 1u) << "the refused device.add stored nothing";
}

TEST(Login, RepeatedFailuresRateLimitTheAddress) {
  Daemon d(Overrides{{"limits.login_failures_per_ip_per_minute", "3"}});
  TestUser alice("@alice");
  auto c = register_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(error_code(c->request(login_request(alice, challenge(*c), alice.identity))),
              "bad_signature");
  }
  auto reply = login(*c, alice);
  EXPECT_EQ(error_code(reply), "rate_limited") << reply.dump();
  // The budget belongs to the address, not the connection.
  auto again = connect_or_fail(d);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(error_code(login(*again, alice)), "rate_limited");

  auto elsewhere = connect_or_fail(d, from_address("127.0.0.2"));
  ASSERT_NE(elsewhere, nullptr);
  reply = login(*elsewhere, alice);
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
}

TEST(Login, NewerLoginOfTheSameDeviceClosesTheOlderConnection) {
  Daemon d;
  TestUser alice("@alice");
  auto older = register_on_new_connection(d, alice);
  ASSERT_NE(older, nullptr);
  ASSERT_TRUE(login(*older, alice).contains("result"));
  auto newer = connect_or_fail(d);
  ASSERT_NE(newer, nullptr);
  ASSERT_TRUE(login(*newer, alice).contains("result"));
  EXPECT_EQ(older->wait_close(std::chrono::seconds(5)), 4409);
  auto info = newer->request({{"type", "account.info"}});
  EXPECT_TRUE(info.contains("result")) << info.dump();
}

TEST(Login, DaemonLogNeverContainsKeysSignaturesOrNonces) {
  Daemon d;
  TestUser alice("@Alice");
  const json registration = alice.register_request();
  std::vector<std::string> secrets = {registration["identity_key"], registration["device"]["key"],
                                      registration["device"]["signature"]};

  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->request(registration).contains("result"));
  const json failed = login_request(alice, challenge(*c), alice.identity);
  ASSERT_EQ(error_code(c->request(failed)), "bad_signature");
  const json succeeded = login_request(alice, challenge(*c), alice.device);
  ASSERT_TRUE(c->request(succeeded).contains("result"));
  for (const json* request : {&failed, &succeeded}) {
    secrets.push_back((*request)["nonce"]);
    secrets.push_back((*request)["signature"]);
  }
  const json added = {{"type", "device.add"},
                      {"device", alice.device_object(2, KeyPair::generate())}};
  ASSERT_TRUE(c->request(added).contains("result"));
  secrets.push_back(added["device"]["key"]);
  secrets.push_back(added["device"]["signature"]);

  const std::string log = d.log();
  ASSERT_NE(log.find("@Alice"), std::string::npos) << "the log should show the activity:\n" << log;
  for (const auto& secret : secrets) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " appears in:\n" << log;
  }
}

}  // namespace
}  // namespace xchat::testing
