// The key directory as clients see it: what a device publishes with keys.upload is what
// another user gets from keys.fetch, with a signed prekey that user can check; each one-time
// prekey is handed out once, even to concurrent fetchers and across a restart; the owner
// hears when its one-time prekeys run low.
#include <gtest/gtest.h>
#include <signal.h>
#include <sodium.h>

#include <cstdint>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
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

json fetch(WsClient& c, const std::string& handle) {
  return c.request({{"type", "keys.fetch"}, {"handle", handle}});
}

// The "devices" of a fetch that must succeed; an empty array, with the failure recorded,
// when it does not.
json fetch_devices(WsClient& c, const std::string& handle) {
  auto reply = fetch(c, handle);
  EXPECT_TRUE(reply.contains("result")) << handle << ": " << reply.dump();
  return reply.contains("result") ? reply["result"].value("devices", json::array()) : json::array();
}

// A keys.upload that only adds one-time prekeys.
json one_time_upload(const std::vector<Prekey>& prekeys) {
  return {{"type", "keys.upload"}, {"one_time_prekeys", one_time_prekeys_array(prekeys)}};
}

// The bundle entry a fetch returns for device `user.device_id`, which published `keys`,
// when it hands out `one_time` (null: when none is left). Ed25519 signatures are
// deterministic, so the signature is the very one that was uploaded.
json bundle_entry(const TestUser& user, const DeviceKeys& keys, const Prekey* one_time) {
  json entry = {
      {"device_id", user.device_id},
      {"identity_dh_key", base64_encode(keys.identity_dh.public_key)},
      {"signed_prekey", signed_prekey_object(user, keys.identity_dh, keys.signed_prekey)}};
  if (one_time != nullptr) {
    entry["one_time_prekey"] = {{"id", one_time->id},
                                {"key", base64_encode(one_time->key.public_key)}};
  }
  return entry;
}

// The check a client makes before trusting a fetched device entry: does its signed prekey
// carry the signature of the bundle's identity key, for `handle_key` and `device_id`?
bool signed_prekey_verifies(const json& bundle, const json& device, const std::string& handle_key,
                            std::uint32_t device_id) {
  const auto identity_key = base64_decode(bundle.value("identity_key", ""));
  const auto identity_dh = base64_decode(device.value("identity_dh_key", ""));
  const json signed_prekey = device.value("signed_prekey", json::object());
  const auto key = base64_decode(signed_prekey.value("key", ""));
  const auto signature = base64_decode(signed_prekey.value("signature", ""));
  if (!identity_key || identity_key->size() != crypto_sign_PUBLICKEYBYTES || !identity_dh || !key ||
      !signature || signature->size() != crypto_sign_BYTES) {
    return false;
  }
  const std::string message = signed_prekey_message(handle_key, device_id, *identity_dh,
                                                    signed_prekey.value("id", 0u), *key);
  return crypto_sign_verify_detached(
             reinterpret_cast<const unsigned char*>(signature->data()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(),
             reinterpret_cast<const unsigned char*>(identity_key->data())) == 0;
}

// Signed prekeys for `prekey` of @alice's (display case "@Alice") device 1 with `identity_dh`,
// each wrong in exactly one way, named.
std::vector<std::pair<std::string, json>> forged_signed_prekeys(const TestUser& alice,
                                                                const DhKeyPair& identity_dh,
                                                                const Prekey& prekey) {
  const std::string& dh = identity_dh.public_key;
  const std::string& key = prekey.key.public_key;
  json other_id = signed_prekey_object(alice.identity, "@alice", 1, dh, prekey.id + 1, key);
  other_id["id"] = prekey.id;
  json other_key = signed_prekey_object(alice.identity, "@alice", 1, dh, prekey.id,
                                        DhKeyPair::generate().public_key);
  other_key["key"] = base64_encode(key);
  return {
      {"signed by the device key",
       signed_prekey_object(alice.device, "@alice", 1, dh, prekey.id, key)},
      {"signed over another prekey id", other_id},
      {"signed over another key", other_key},
      {"signed for another device",
       signed_prekey_object(alice.identity, "@alice", 2, dh, prekey.id, key)},
      {"signed over another identity DH key",
       signed_prekey_object(alice.identity, "@alice", 1, DhKeyPair::generate().public_key,
                            prekey.id, key)},
      {"signed over the display-case handle",
       signed_prekey_object(alice.identity, "@Alice", 1, dh, prekey.id, key)},
  };
}

// Sends `count` fetches of `handle` back to back, then reads as many frames: the replies,
// in whatever shape they come (no gtest assertions: this runs on other threads).
std::vector<json> pipelined_fetches(WsClient& c, const std::string& handle, int count) {
  std::vector<json> replies;
  for (int i = 0; i < count; ++i) {
    if (!c.send_text(json({{"type", "keys.fetch"}, {"id", i}, {"handle", handle}}).dump())) {
      return replies;
    }
  }
  while (static_cast<int>(replies.size()) < count) {
    auto frame = c.read_json();
    if (!frame) break;
    if (frame->contains("id")) replies.push_back(std::move(*frame));  // not the queue_empty push
  }
  return replies;
}

// The pushes of `c` other than the queue_empty that follows every login.
std::vector<json> pushes_after_login(WsClient& c) {
  std::vector<json> out;
  for (const auto& p : c.pushes()) {
    if (p != json({{"type", "queue_empty"}})) out.push_back(p);
  }
  return out;
}

TEST(KeyDirectory, AnotherUserFetchesAVerifiableBundle) {
  Daemon d;
  TestUser alice("@Alice");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  const DeviceKeys keys = DeviceKeys::generate(3);
  auto reply = owner->request(keys_upload_request(alice, keys));
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_EQ(reply["result"], json({{"one_time_prekeys", 3}}));

  auto fetcher = register_and_log_in(d, TestUser("@bob"));
  ASSERT_NE(fetcher, nullptr);
  reply = fetch(*fetcher, "@ALICE");
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  json bundle = reply["result"];
  EXPECT_EQ(bundle["handle"], "@Alice");
  EXPECT_EQ(bundle["identity_key"], base64_encode(alice.identity.public_key));
  ASSERT_EQ(bundle["devices"].size(), 1u) << bundle.dump();
  EXPECT_EQ(bundle["devices"][0], bundle_entry(alice, keys, &keys.one_time_prekeys[0]));

  // The client checks the bundle with nothing but what the fetch returned; the same check
  // for another device of the account fails, so it is not vacuous.
  EXPECT_TRUE(signed_prekey_verifies(bundle, bundle["devices"][0], "@alice", 1));
  EXPECT_FALSE(signed_prekey_verifies(bundle, bundle["devices"][0], "@alice", 2));
}

TEST(KeyDirectory, SuccessiveFetchesHandOutEachOneTimePrekeyOnceInIdOrder) {
  Daemon d;
  TestUser alice("@alice");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  DeviceKeys keys;
  keys.one_time_prekeys = {Prekey{7}, Prekey{3}, Prekey{12}};
  ASSERT_TRUE(owner->request(keys_upload_request(alice, keys)).contains("result"));

  auto fetcher = register_and_log_in(d, TestUser("@bob"));
  ASSERT_NE(fetcher, nullptr);
  for (const std::size_t index : {1, 0, 2}) {
    const Prekey& expected = keys.one_time_prekeys[index];
    EXPECT_EQ(fetch_devices(*fetcher, "@alice"),
              json::array({bundle_entry(alice, keys, &expected)}))
        << "expected one-time prekey " << expected.id;
  }
  // Exhausted: the bundle still carries the signed prekey, and no one_time_prekey field.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(fetch_devices(*fetcher, "@alice"), json::array({bundle_entry(alice, keys, nullptr)}));
  }
}

TEST(KeyDirectory, ConcurrentFetchesNeverShareAOneTimePrekey) {
  Daemon d;
  TestUser alice("@alice");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  const DeviceKeys keys = DeviceKeys::generate(100);
  auto reply = owner->request(keys_upload_request(alice, keys));
  ASSERT_EQ(reply.value("result", json()), json({{"one_time_prekeys", 100}})) << reply.dump();

  constexpr int kFetchers = 4;
  constexpr int kFetchesEach = 25;
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < kFetchers; ++i) {
    clients.push_back(register_and_log_in(d, TestUser("@fetcher" + std::to_string(i))));
    ASSERT_NE(clients.back(), nullptr);
  }
  std::vector<std::vector<json>> replies(kFetchers);
  std::latch go(kFetchers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kFetchers; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      replies[i] = pipelined_fetches(*clients[i], "@alice", kFetchesEach);
    });
  }
  for (auto& t : threads) t.join();

  std::map<std::uint32_t, std::string> uploaded;
  for (const auto& p : keys.one_time_prekeys) uploaded[p.id] = base64_encode(p.key.public_key);
  std::multiset<std::uint32_t> handed_out;
  for (int i = 0; i < kFetchers; ++i) {
    ASSERT_EQ(replies[i].size(), static_cast<std::size_t>(kFetchesEach)) << "fetcher " << i;
    for (auto& r : replies[i]) {
      ASSERT_TRUE(r.contains("result")) << r.dump();
      json devices = r["result"]["devices"];
      ASSERT_EQ(devices.size(), 1u) << r.dump();
      ASSERT_TRUE(devices[0].contains("one_time_prekey")) << r.dump();
      const auto id = devices[0]["one_time_prekey"]["id"].get<std::uint32_t>();
      EXPECT_EQ(devices[0]["one_time_prekey"]["key"], uploaded[id]) << "id " << id;
      handed_out.insert(id);
    }
  }
  const std::set<std::uint32_t> distinct(handed_out.begin(), handed_out.end());
  EXPECT_EQ(handed_out.size(), 100u);
  EXPECT_EQ(distinct.size(), 100u) << "some one-time prekey was handed out twice";
  EXPECT_EQ(*distinct.begin(), 1u);
  EXPECT_EQ(*distinct.rbegin(), 100u);
  EXPECT_EQ(fetch_devices(*clients[0], "@alice"),
            json::array({bundle_entry(alice, keys, nullptr)}));
}

TEST(KeyDirectory, BadSignedPrekeySignatureOnAFirstUploadStoresNothing) {
  Daemon d;
  TestUser alice("@Alice");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  auto fetcher = register_and_log_in(d, TestUser("@bob"));
  ASSERT_NE(fetcher, nullptr);
  const DeviceKeys keys = DeviceKeys::generate(2);
  for (const auto& [how, forged] :
       forged_signed_prekeys(alice, keys.identity_dh, keys.signed_prekey)) {
    json request = keys_upload_request(alice, keys);
    request["signed_prekey"] = forged;
    auto reply = owner->request(request);
    EXPECT_EQ(error_code(reply), "bad_signature") << how << ": " << reply.dump();
    EXPECT_EQ(fetch_devices(*fetcher, "@alice"), json::array()) << how;
  }
  // The same keys with the genuine signature are accepted: only the signatures were wrong.
  auto reply = owner->request(keys_upload_request(alice, keys));
  EXPECT_EQ(reply.value("result", json()), json({{"one_time_prekeys", 2}})) << reply.dump();
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"),
            json::array({bundle_entry(alice, keys, &keys.one_time_prekeys[0])}));
}

TEST(KeyDirectory, BadSignedPrekeySignatureKeepsThePreviousKeys) {
  Daemon d;
  TestUser alice("@Alice");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  const DeviceKeys keys = DeviceKeys::generate(1);
  ASSERT_TRUE(owner->request(keys_upload_request(alice, keys)).contains("result"));

  DeviceKeys next = keys;
  next.signed_prekey = Prekey{2};
  next.one_time_prekeys = make_prekeys(2, 2);
  for (const auto& [how, forged] :
       forged_signed_prekeys(alice, next.identity_dh, next.signed_prekey)) {
    json request = keys_upload_request(alice, next);
    request["signed_prekey"] = forged;
    auto reply = owner->request(request);
    EXPECT_EQ(error_code(reply), "bad_signature") << how << ": " << reply.dump();
  }
  // Neither the signed prekey nor the one-time prekeys of the refused uploads were stored.
  auto fetcher = register_and_log_in(d, TestUser("@bob"));
  ASSERT_NE(fetcher, nullptr);
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"),
            json::array({bundle_entry(alice, keys, &keys.one_time_prekeys[0])}));
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"), json::array({bundle_entry(alice, keys, nullptr)}));
}

TEST(KeyDirectory, NewSignedPrekeyReplacesTheOld) {
  Daemon d;
  TestUser alice("@alice");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  const DeviceKeys keys = DeviceKeys::generate(3);
  ASSERT_TRUE(owner->request(keys_upload_request(alice, keys)).contains("result"));
  auto fetcher = register_and_log_in(d, TestUser("@bob"));
  ASSERT_NE(fetcher, nullptr);

  // A rotation alone: signed over the identity DH key stored earlier.
  DeviceKeys rotated = keys;
  rotated.signed_prekey = Prekey{2};
  auto reply = owner->request(
      {{"type", "keys.upload"},
       {"signed_prekey", signed_prekey_object(alice, keys.identity_dh, rotated.signed_prekey)}});
  EXPECT_EQ(reply.value("result", json()), json({{"one_time_prekeys", 3}})) << reply.dump();
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"),
            json::array({bundle_entry(alice, rotated, &keys.one_time_prekeys[0])}));

  // A new identity DH key comes with a signed prekey signed over it; the one-time prekeys
  // already published stay.
  DeviceKeys renewed;
  renewed.signed_prekey = Prekey{3};
  json request = keys_upload_request(alice, renewed);
  request.erase("one_time_prekeys");
  reply = owner->request(request);
  EXPECT_EQ(reply.value("result", json()), json({{"one_time_prekeys", 2}})) << reply.dump();
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"),
            json::array({bundle_entry(alice, renewed, &keys.one_time_prekeys[1])}));
}

TEST(KeyDirectory, FirstUploadNeedsIdentityDhKeyAndSignedPrekey) {
  Daemon d;
  TestUser alice("@alice");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  auto fetcher = register_and_log_in(d, TestUser("@bob"));
  ASSERT_NE(fetcher, nullptr);
  const DeviceKeys keys = DeviceKeys::generate(1);
  const std::vector<std::vector<std::string>> omissions = {
      {"signed_prekey"}, {"identity_dh_key"}, {"signed_prekey", "identity_dh_key"}};
  for (const auto& omitted : omissions) {
    json request = keys_upload_request(alice, keys);
    for (const auto& field : omitted) request.erase(field);
    auto reply = owner->request(request);
    EXPECT_EQ(error_code(reply), "bad_request") << request.dump() << " -> " << reply.dump();
  }
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"), json::array());
  auto reply = owner->request(keys_upload_request(alice, keys));
  EXPECT_EQ(reply.value("result", json()), json({{"one_time_prekeys", 1}})) << reply.dump();
}

TEST(KeyDirectory, OneTimePrekeysBeyondTheLimitAreTooLargeAndNotStored) {
  Daemon d(Overrides{{"limits.max_one_time_prekeys", "5"}});
  TestUser alice("@alice");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  const DeviceKeys keys = DeviceKeys::generate(3);
  auto reply = owner->request(keys_upload_request(alice, keys));
  ASSERT_EQ(reply.value("result", json()), json({{"one_time_prekeys", 3}})) << reply.dump();

  reply = owner->request(one_time_upload(make_prekeys(3, 4)));
  EXPECT_EQ(error_code(reply), "too_large") << reply.dump();
  // An id already held is replaced, so it does not count against the limit.
  const Prekey replacement{1};
  const Prekey fourth{4};
  reply = owner->request(one_time_upload({replacement, fourth}));
  EXPECT_EQ(reply.value("result", json()), json({{"one_time_prekeys", 4}})) << reply.dump();
  reply = owner->request(one_time_upload(make_prekeys(2, 5)));
  EXPECT_EQ(error_code(reply), "too_large") << reply.dump();

  // Fetches hand out exactly what was accepted.
  auto fetcher = register_and_log_in(d, TestUser("@bob"));
  ASSERT_NE(fetcher, nullptr);
  for (const Prekey* p :
       {&replacement, &keys.one_time_prekeys[1], &keys.one_time_prekeys[2], &fourth}) {
    EXPECT_EQ(fetch_devices(*fetcher, "@alice"), json::array({bundle_entry(alice, keys, p)}))
        << "expected one-time prekey " << p->id;
  }
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"), json::array({bundle_entry(alice, keys, nullptr)}));
  // Handed-out prekeys no longer count: the full allowance is available again.
  reply = owner->request(one_time_upload(make_prekeys(5, 10)));
  EXPECT_EQ(reply.value("result", json()), json({{"one_time_prekeys", 5}})) << reply.dump();
}

TEST(KeyDirectory, MoreThanTheDeviceLimitInOneUploadIsTooLarge) {
  Daemon d;  // limits.max_one_time_prekeys = 100
  TestUser alice("@alice");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  DeviceKeys keys = DeviceKeys::generate(101);
  auto reply = owner->request(keys_upload_request(alice, keys));
  EXPECT_EQ(error_code(reply), "too_large") << reply.dump();
  auto fetcher = register_and_log_in(d, TestUser("@bob"));
  ASSERT_NE(fetcher, nullptr);
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"), json::array());

  keys.one_time_prekeys.pop_back();
  reply = owner->request(keys_upload_request(alice, keys));
  EXPECT_EQ(reply.value("result", json()), json({{"one_time_prekeys", 100}})) << reply.dump();
}

TEST(KeyDirectory, OwnerDeviceIsToldWhenFewerThanTenOneTimePrekeysRemain) {
  Daemon d;
  TestUser alice("@alice");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  const KeyPair key2 = KeyPair::generate();
  ASSERT_TRUE(owner->request({{"type", "device.add"}, {"device", alice.device_object(2, key2)}})
                  .contains("result"));
  auto other_device = log_in_on_new_connection(d, alice.with_device(2, key2));
  ASSERT_NE(other_device, nullptr);
  auto reply = owner->request(keys_upload_request(alice, DeviceKeys::generate(11)));
  ASSERT_EQ(reply.value("result", json()), json({{"one_time_prekeys", 11}})) << reply.dump();
  auto fetcher = register_and_log_in(d, TestUser("@bob"));
  ASSERT_NE(fetcher, nullptr);

  ASSERT_EQ(fetch_devices(*fetcher, "@alice").size(), 1u);
  // Ten remain: nothing is pushed (a push would precede this reply or be read below).
  EXPECT_TRUE(pings(*owner));
  EXPECT_EQ(pushes_after_login(*owner), std::vector<json>());

  ASSERT_EQ(fetch_devices(*fetcher, "@alice").size(), 1u);
  auto push = owner->read_json(std::chrono::seconds(5));
  ASSERT_TRUE(push.has_value()) << "no prekeys_low push";
  EXPECT_EQ(*push, json({{"type", "prekeys_low"}, {"remaining", 9}}));

  ASSERT_EQ(fetch_devices(*fetcher, "@alice").size(), 1u);
  push = owner->read_json(std::chrono::seconds(5));
  ASSERT_TRUE(push.has_value()) << "no prekeys_low push";
  EXPECT_EQ(*push, json({{"type", "prekeys_low"}, {"remaining", 8}}));

  // Only the device whose prekeys ran low hears of it; the fetcher learns nothing either.
  EXPECT_TRUE(pings(*other_device));
  EXPECT_EQ(pushes_after_login(*other_device), std::vector<json>());
  EXPECT_TRUE(pings(*fetcher));
  EXPECT_EQ(pushes_after_login(*fetcher), std::vector<json>());
}

TEST(KeyDirectory, FetchNeedsASubscriptionWhenRequiredButUploadDoesNot) {
  Daemon d(Overrides{{"access.require_subscription", "true"}});
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  const DeviceKeys keys = DeviceKeys::generate(1);
  auto reply = owner->request(keys_upload_request(alice, keys));
  EXPECT_EQ(reply.value("result", json()), json({{"one_time_prekeys", 1}})) << reply.dump();
  {
    auto fetcher = register_and_log_in(d, bob);
    ASSERT_NE(fetcher, nullptr);
    reply = fetch(*fetcher, "@alice");
    EXPECT_EQ(error_code(reply), "subscription_required") << reply.dump();
  }
  ASSERT_EQ(d.admin({"subscription", "grant", "@bob", "--days", "30"}), 0);
  auto fetcher = log_in_on_new_connection(d, bob);
  ASSERT_NE(fetcher, nullptr);
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"),
            json::array({bundle_entry(alice, keys, &keys.one_time_prekeys[0])}));
}

TEST(KeyDirectory, KeysNeedALogin) {
  Daemon d;
  TestUser alice("@alice");
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(register_user(*c, alice).contains("result"));
  EXPECT_EQ(error_code(c->request(keys_upload_request(alice, DeviceKeys::generate(1)))),
            "unauthenticated");
  EXPECT_EQ(error_code(fetch(*c, "@alice")), "unauthenticated");
}

TEST(KeyDirectory, FetchOfAnUnknownOrInvalidHandleIsRefused) {
  Daemon d;
  auto c = register_and_log_in(d, TestUser("@bob"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(error_code(fetch(*c, "@nobody")), "not_found");
  EXPECT_EQ(error_code(fetch(*c, "nobody")), "invalid_handle");
  EXPECT_EQ(error_code(fetch(*c, "@abcdefghijklmnop")), "invalid_handle");
  EXPECT_EQ(error_code(c->request({{"type", "keys.fetch"}})), "bad_request");
  EXPECT_EQ(error_code(c->request({{"type", "keys.fetch"}, {"handle", 7}})), "bad_request");
  EXPECT_TRUE(pings(*c));
}

TEST(KeyDirectory, MalformedUploadIsBadRequestAndStoresNothing) {
  Daemon d;
  TestUser alice("@alice");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  const DeviceKeys keys = DeviceKeys::generate(1);
  ASSERT_TRUE(owner->request(keys_upload_request(alice, keys)).contains("result"));

  // Each case changes one thing in an otherwise valid upload; signatures are made over the
  // malformed values, so a signature check cannot be what refuses them.
  const std::string& dh = keys.identity_dh.public_key;
  const std::string short_key(31, 'k');
  const Prekey next{2};
  const json base = {{"type", "keys.upload"},
                     {"identity_dh_key", base64_encode(dh)},
                     {"signed_prekey", signed_prekey_object(alice.identity, "@alice", 1, dh,
                                                            next.id, next.key.public_key)},
                     {"one_time_prekeys", one_time_prekeys_array(make_prekeys(1, 2))}};
  auto spk = [&](std::string_view identity_dh, std::uint32_t id, std::string_view key) {
    return signed_prekey_object(alice.identity, "@alice", 1, identity_dh, id, key);
  };
  std::vector<std::pair<std::string, json>> cases;
  auto with = [&](const std::string& what, const std::string& field, json value) {
    json request = base;
    request[field] = std::move(value);
    cases.emplace_back(what, request);
  };
  with("31-byte signed prekey", "signed_prekey", spk(dh, next.id, short_key));
  with("signed prekey id 0", "signed_prekey", spk(dh, 0, next.key.public_key));
  with("signed prekey id 2^31", "signed_prekey", spk(dh, 0x80000000u, next.key.public_key));
  with("signed_prekey not an object", "signed_prekey", "x");
  with("identity_dh_key not base64", "identity_dh_key", "not base64!");
  with("one_time_prekeys not an array", "one_time_prekeys", "x");
  with("one-time prekey id 0", "one_time_prekeys", one_time_prekeys_array({Prekey{0}}));
  json short_one_time = one_time_prekeys_array(make_prekeys(1, 2));
  short_one_time[0]["key"] = base64_encode(short_key);
  with("31-byte one-time prekey", "one_time_prekeys", short_one_time);
  json keyless_one_time = one_time_prekeys_array(make_prekeys(1, 2));
  keyless_one_time[0].erase("key");
  with("one-time prekey without key", "one_time_prekeys", keyless_one_time);
  json short_dh = base;
  short_dh["identity_dh_key"] = base64_encode(short_key);
  short_dh["signed_prekey"] = spk(short_key, next.id, next.key.public_key);
  cases.emplace_back("31-byte identity_dh_key", short_dh);

  for (const auto& [what, request] : cases) {
    auto reply = owner->request(request);
    EXPECT_EQ(error_code(reply), "bad_request") << what << ": " << reply.dump();
  }
  EXPECT_TRUE(pings(*owner));
  auto fetcher = register_and_log_in(d, TestUser("@bob"));
  ASSERT_NE(fetcher, nullptr);
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"),
            json::array({bundle_entry(alice, keys, &keys.one_time_prekeys[0])}));
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"), json::array({bundle_entry(alice, keys, nullptr)}));
}

TEST(KeyDirectory, BundleListsDevicesByIdAndDropsARemovedOne) {
  Daemon d;
  TestUser alice("@alice");
  auto first = register_and_log_in(d, alice);
  ASSERT_NE(first, nullptr);
  const KeyPair key2 = KeyPair::generate();
  const KeyPair key3 = KeyPair::generate();
  ASSERT_TRUE(first->request({{"type", "device.add"}, {"device", alice.device_object(3, key3)}})
                  .contains("result"));
  ASSERT_TRUE(first->request({{"type", "device.add"}, {"device", alice.device_object(2, key2)}})
                  .contains("result"));
  const TestUser device2 = alice.with_device(2, key2);
  const TestUser device3 = alice.with_device(3, key3);
  auto second = log_in_on_new_connection(d, device2);
  ASSERT_NE(second, nullptr);
  auto third = log_in_on_new_connection(d, device3);
  ASSERT_NE(third, nullptr);
  // Published in the order 3, 2, 1; listed in device id order.
  const DeviceKeys keys1 = DeviceKeys::generate(2);
  const DeviceKeys keys2 = DeviceKeys::generate(2);
  const DeviceKeys keys3 = DeviceKeys::generate(2);
  ASSERT_TRUE(third->request(keys_upload_request(device3, keys3)).contains("result"));
  ASSERT_TRUE(second->request(keys_upload_request(device2, keys2)).contains("result"));
  ASSERT_TRUE(first->request(keys_upload_request(alice, keys1)).contains("result"));

  auto fetcher = register_and_log_in(d, TestUser("@bob"));
  ASSERT_NE(fetcher, nullptr);
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"),
            json::array({bundle_entry(alice, keys1, &keys1.one_time_prekeys[0]),
                         bundle_entry(device2, keys2, &keys2.one_time_prekeys[0]),
                         bundle_entry(device3, keys3, &keys3.one_time_prekeys[0])}));

  auto reply = first->request({{"type", "device.remove"}, {"device_id", 2}});
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  const json without_2 = json::array({bundle_entry(alice, keys1, &keys1.one_time_prekeys[1]),
                                      bundle_entry(device3, keys3, &keys3.one_time_prekeys[1])});
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"), without_2);
  // A device added again under the same id starts without keys: the old ones were deleted.
  ASSERT_TRUE(first
                  ->request({{"type", "device.add"},
                             {"device", alice.device_object(2, KeyPair::generate())}})
                  .contains("result"));
  EXPECT_EQ(
      fetch_devices(*fetcher, "@alice"),
      json::array({bundle_entry(alice, keys1, nullptr), bundle_entry(device3, keys3, nullptr)}));
}

TEST(KeyDirectory, FetchesAreRateLimitedPerAccount) {
  Daemon d(Overrides{{"limits.key_fetches_per_account_per_minute", "3"}});
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto owner = register_and_log_in(d, alice);
  ASSERT_NE(owner, nullptr);
  const DeviceKeys keys = DeviceKeys::generate(5);
  ASSERT_TRUE(owner->request(keys_upload_request(alice, keys)).contains("result"));

  auto fetcher = register_and_log_in(d, bob);
  ASSERT_NE(fetcher, nullptr);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(fetch_devices(*fetcher, "@alice"),
              json::array({bundle_entry(alice, keys, &keys.one_time_prekeys[i])}));
  }
  auto reply = fetch(*fetcher, "@alice");
  EXPECT_EQ(error_code(reply), "rate_limited") << reply.dump();
  EXPECT_TRUE(pings(*fetcher));

  // The budget follows the account across connections; another account has its own, and
  // the refused fetch took no one-time prekey.
  fetcher.reset();
  auto again = log_in_on_new_connection(d, bob);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(error_code(fetch(*again, "@alice")), "rate_limited");
  auto other = register_and_log_in(d, TestUser("@carol"));
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(fetch_devices(*other, "@alice"),
            json::array({bundle_entry(alice, keys, &keys.one_time_prekeys[3])}));
}

TEST(KeyDirectory, KeysSurviveARestart) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  const DeviceKeys keys = DeviceKeys::generate(3);
  {
    auto owner = register_and_log_in(d, alice);
    ASSERT_NE(owner, nullptr);
    ASSERT_TRUE(owner->request(keys_upload_request(alice, keys)).contains("result"));
    auto fetcher = register_and_log_in(d, bob);
    ASSERT_NE(fetcher, nullptr);
    EXPECT_EQ(fetch_devices(*fetcher, "@alice"),
              json::array({bundle_entry(alice, keys, &keys.one_time_prekeys[0])}));
  }
  ASSERT_EQ(d.stop(SIGTERM), 0);
  d.start();

  auto fetcher = log_in_on_new_connection(d, bob);
  ASSERT_NE(fetcher, nullptr);
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"),
            json::array({bundle_entry(alice, keys, &keys.one_time_prekeys[1])}));
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"),
            json::array({bundle_entry(alice, keys, &keys.one_time_prekeys[2])}));
  EXPECT_EQ(fetch_devices(*fetcher, "@alice"), json::array({bundle_entry(alice, keys, nullptr)}));
}

}  // namespace
}  // namespace xchat::testing
