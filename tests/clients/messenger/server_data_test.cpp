#include "messenger/server_data.hpp"

#include <gtest/gtest.h>

#include "xchat/error_code.hpp"

namespace xchat::client {
namespace {

using nlohmann::json;

const std::string kKey32 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const std::string kSig64 =
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
const std::string kMessageId = "GIyyl166QXFKm6OSQUMdCw==";

json envelope() {
  return {{"seq", 1},
          {"from", "@Alice"},
          {"from_device", 1},
          {"message_id", kMessageId},
          {"timestamp", 1795587358770},
          {"ciphertext", "SGk="},
          {"request", true}};
}

json bundle(std::uint32_t device_id) {
  return {{"device_id", device_id},
          {"identity_dh_key", kKey32},
          {"signed_prekey", {{"id", 1}, {"key", kKey32}, {"signature", kSig64}}},
          {"one_time_prekey", {{"id", 17}, {"key", kKey32}}}};
}

TEST(ServerData, ReplyResult) {
  json details;
  auto r = parse_reply(json::parse(R"({"id":7,"result":{"time":5}})"), &details);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["time"], 5);
  EXPECT_EQ(details, json::object());
}

TEST(ServerData, ReplyErrorKeepsDetails) {
  json details;
  auto r = parse_reply(
      json::parse(R"({"id":7,"error":{"code":"stale_devices","message":"m","devices":[1,2]}})"),
      &details);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kStaleDevices);
  EXPECT_EQ(r.status().message(), "m");
  EXPECT_EQ(details["devices"], json::array({1, 2}));
}

TEST(ServerData, MalformedRepliesAreServerFaults) {
  for (const char* text : {R"([1])", R"({"id":1})", R"({"id":1,"result":[]})",
                           R"({"id":1,"error":"x"})", R"({"id":1,"error":{"code":5}})"}) {
    auto r = parse_reply(json::parse(text), nullptr);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.status().code(), ErrorCode::kInternal) << text;
  }
  // An unknown code is a server fault too, but keeps the server's message.
  auto r =
      parse_reply(json::parse(R"({"id":1,"error":{"code":"new_code","message":"hm"}})"), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
  EXPECT_EQ(r.status().message(), "hm");
}

TEST(ServerData, Envelopes) {
  auto pushed = parse_envelopes_push({{"type", "envelopes"}, {"envelopes", {envelope()}}});
  ASSERT_TRUE(pushed);
  ASSERT_EQ(pushed->size(), 1u);
  const auto& item = (*pushed)[0];
  EXPECT_EQ(item.seq, 1);
  ASSERT_TRUE(item.envelope) << item.envelope.status().message();
  EXPECT_EQ(item.envelope->from, "@Alice");
  EXPECT_EQ(item.envelope->from_device, 1u);
  EXPECT_EQ(item.envelope->message_id.size(), 16u);
  EXPECT_EQ(item.envelope->ciphertext, "Hi");
  EXPECT_EQ(item.envelope->timestamp_ms, 1795587358770);
  EXPECT_EQ(item.envelope->expires_at, 0);
  EXPECT_TRUE(item.envelope->request);
}

// A malformed envelope is still acknowledged by its seq, or it would come back forever.
TEST(ServerData, MalformedEnvelopeKeepsItsSeq) {
  json bad = envelope();
  bad["from"] = 5;
  auto pushed = parse_envelopes_push({{"envelopes", {bad, 7}}});
  ASSERT_TRUE(pushed);
  ASSERT_EQ(pushed->size(), 2u);
  EXPECT_EQ((*pushed)[0].seq, 1);
  EXPECT_FALSE((*pushed)[0].envelope);
  EXPECT_FALSE((*pushed)[1].seq);
  EXPECT_FALSE((*pushed)[1].envelope);
}

TEST(ServerData, EnvelopeFieldsAreRangeChecked) {
  for (auto [name, value] : std::vector<std::pair<const char*, json>>{
           {"from_device", 0},
           {"from_device", 2147483648u},
           {"from_device", "1"},
           {"message_id", "AAAA"},
           {"ciphertext", "not base64!"},
           {"timestamp", -1},
           // A timestamp near int64's end would overflow the vanishing-time arithmetic.
           {"timestamp", 9223372036854775807},
           {"expires_at", 18446744073709551615u},
           {"request", "yes"}}) {
    json e = envelope();
    e[name] = value;
    auto pushed = parse_envelopes_push({{"envelopes", {e}}});
    ASSERT_TRUE(pushed);
    EXPECT_FALSE((*pushed)[0].envelope) << name << " = " << value.dump();
  }
  for (const json& push : {json::array(), json{{"type", "envelopes"}}, json{{"envelopes", "x"}}}) {
    EXPECT_FALSE(parse_envelopes_push(push)) << push.dump();
  }
}

TEST(ServerData, KeysFetch) {
  json result = {{"identity_key", kKey32}, {"devices", {bundle(1), bundle(2)}}};
  result["devices"][1].erase("one_time_prekey");
  auto keys = parse_keys_fetch(result, "@alice");
  ASSERT_TRUE(keys) << keys.status().message();
  EXPECT_EQ(keys->identity_key.size(), 32u);
  ASSERT_EQ(keys->devices.size(), 2u);
  ASSERT_TRUE(keys->devices[0].bundle);
  EXPECT_EQ(keys->devices[0].bundle->device.party.handle_key, "@alice");
  EXPECT_EQ(keys->devices[0].bundle->device.party.device_id, 1u);
  EXPECT_EQ(keys->devices[0].bundle->one_time_prekey_id, 17u);
  ASSERT_TRUE(keys->devices[1].bundle);
  EXPECT_FALSE(keys->devices[1].bundle->one_time_prekey_id);
}

TEST(ServerData, KeysFetchRefusesMalformedDevicesOneByOne) {
  json wrong_spk = bundle(2);
  wrong_spk["signed_prekey"] = json::array();
  json short_key = bundle(3);
  short_key["identity_dh_key"] = "AAAA";
  json otp_id = bundle(4);
  otp_id["one_time_prekey"]["id"] = "17";
  auto keys = parse_keys_fetch(
      {{"identity_key", kKey32},
       {"devices", {bundle(1), wrong_spk, short_key, otp_id, {{"device_id", "5"}}, 6}}},
      "@alice");
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->devices.size(), 4u);  // the last two have no device id to name
  EXPECT_TRUE(keys->devices[0].bundle);
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_FALSE(keys->devices[i].bundle) << i;
    EXPECT_EQ(keys->devices[i].device_id, i + 1);
  }
  EXPECT_FALSE(parse_keys_fetch({{"identity_key", kKey32}}, "@alice"));
  EXPECT_FALSE(parse_keys_fetch({{"identity_key", 5}, {"devices", json::array()}}, "@alice"));
  EXPECT_FALSE(parse_keys_fetch(json::array(), "@alice"));
}

TEST(ServerData, SmallResults) {
  auto challenge = parse_challenge({{"nonce", kKey32}, {"server", "localhost"}});
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->server, "localhost");
  EXPECT_FALSE(parse_challenge({{"nonce", "AAAA"}, {"server", "localhost"}}));

  auto low = parse_prekeys_low({{"type", "prekeys_low"}, {"remaining", 3}});
  ASSERT_TRUE(low);
  EXPECT_EQ(*low, 3u);
  EXPECT_FALSE(parse_prekeys_low({{"remaining", -3}}));

  auto sent = parse_send_result({{"timestamp", 10}, {"expires_at", 20}});
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->timestamp_ms, 10);
  EXPECT_EQ(sent->expires_at, 20);
  EXPECT_FALSE(parse_send_result({{"timestamp", "10"}}));

  auto absent = parse_lookup({{"exists", false}});
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
  auto found = parse_lookup({{"exists", true}, {"identity_key", kKey32}});
  ASSERT_TRUE(found);
  EXPECT_EQ(found->value_or("").size(), 32u);
  EXPECT_FALSE(parse_lookup({{"exists", true}}));
  EXPECT_FALSE(parse_lookup({{"exists", 1}}));

  EXPECT_EQ(parse_token({{"token", "T"}}).value(), "T");
  EXPECT_FALSE(parse_token({{"token", ""}}));
  EXPECT_FALSE(parse_token(json::array()));

  EXPECT_EQ(parse_device_ids(json::array({2, 1, 2})).value(), (std::set<std::uint32_t>{1, 2}));
  EXPECT_FALSE(parse_device_ids(json::array({0})));
  EXPECT_FALSE(parse_device_ids(json::object()));

  EXPECT_EQ(push_type({{"type", "queue_empty"}}), "queue_empty");
  EXPECT_EQ(push_type({{"type", 5}}), "");
  EXPECT_EQ(push_type(json::array()), "");
}

}  // namespace
}  // namespace xchat::client
