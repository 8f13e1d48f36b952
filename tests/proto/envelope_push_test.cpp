#include "proto/envelope_push.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/envelopes.hpp"
#include "xchat/base64.hpp"

namespace xchat {
namespace {

using nlohmann::json;
using proto::kMaxEnvelopeBatchBytes;

// An item of about `bytes` bytes carrying `n`, so order can be checked.
std::string item(int n, std::size_t bytes) {
  return json({{"n", n}, {"pad", std::string(bytes, 'x')}}).dump();
}

// Every item of every push, in order; also checks the shape of each push.
std::vector<int> unpack(const std::vector<std::string>& frames) {
  std::vector<int> out;
  for (const auto& frame : frames) {
    const json push = json::parse(frame);
    EXPECT_EQ(push.value("type", ""), "envelopes");
    EXPECT_FALSE(push.value("envelopes", json::array()).empty()) << "an empty push";
    for (const auto& e : push.value("envelopes", json::array())) out.push_back(e.value("n", -1));
  }
  return out;
}

// The item as the protocol defines it, built the slow, obviously right way.
json reference_item(const store::envelopes::Envelope& e, bool ephemeral) {
  json item = {{"from", e.sender_handle},
               {"from_device", e.sender_device},
               {"message_id", base64_encode(e.message_id)},
               {"timestamp", e.accepted_at},
               {"ciphertext", base64_encode(e.ciphertext)}};
  if (ephemeral) {
    item["ephemeral"] = true;
  } else {
    item["seq"] = e.seq;
  }
  if (e.request) item["request"] = true;
  if (e.expires_at != 0) item["expires_at"] = e.expires_at;
  if (e.kind == store::envelopes::Kind::kEdit) item["edits"] = base64_encode(e.refers_to);
  if (e.kind == store::envelopes::Kind::kUnsend) item["retracts"] = base64_encode(e.refers_to);
  return item;
}

TEST(EnvelopeItem, MatchesTheProtocolsShapeInEveryVariant) {
  store::envelopes::Envelope e;
  e.seq = 9007199254740993;
  e.sender_handle = "Alice_01";
  e.sender_device = 4294967295u;
  e.message_id = std::string(16, '\xab');
  e.accepted_at = 1764000000123;
  e.ciphertext = std::string("\x00\x01\xfe\xff\"\\ciphertext", 16);
  e.refers_to = std::string(16, '\x5c');
  for (const bool ephemeral : {false, true}) {
    for (const bool request : {false, true}) {
      for (const std::int64_t expires_at : {std::int64_t{0}, std::int64_t{1764000030123}}) {
        for (const auto kind : {store::envelopes::Kind::kMessage, store::envelopes::Kind::kEdit,
                                store::envelopes::Kind::kUnsend}) {
          e.request = request;
          e.expires_at = expires_at;
          e.kind = kind;
          const std::string encoded = proto::encode_envelope_item(e, ephemeral);
          EXPECT_EQ(json::parse(encoded), reference_item(e, ephemeral)) << encoded;
          // Byte for byte what nlohmann writes (sorted keys), so no client sees a change.
          EXPECT_EQ(encoded, reference_item(e, ephemeral).dump());
        }
      }
    }
  }
  e.sender_handle = "quote\"back\\slash\n";  // never a valid handle, still valid JSON
  EXPECT_EQ(json::parse(proto::encode_envelope_item(e, false)).value("from", ""),
            e.sender_handle);
}

TEST(EnvelopePush, SmallItemsShareOnePush) {
  const std::vector<std::string> items = {item(1, 10), item(2, 10), item(3, 10)};
  const auto frames = proto::encode_envelopes_pushes(items);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(unpack(frames), std::vector<int>({1, 2, 3}));
}

TEST(EnvelopePush, PushesStayUnderTheCapAndKeepTheOrder) {
  std::vector<std::string> items;
  for (int i = 0; i < 10; ++i) items.push_back(item(i, kMaxEnvelopeBatchBytes / 4));
  const auto frames = proto::encode_envelopes_pushes(items);
  EXPECT_GT(frames.size(), 2u);
  for (const auto& f : frames) EXPECT_LE(f.size(), kMaxEnvelopeBatchBytes + 64);
  EXPECT_EQ(unpack(frames), std::vector<int>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(EnvelopePush, AnItemOverTheCapGoesAloneAndNothingMakesNoPush) {
  const std::vector<std::string> items = {item(1, 10), item(2, kMaxEnvelopeBatchBytes + 1),
                                          item(3, 10)};
  const auto frames = proto::encode_envelopes_pushes(items);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(unpack(frames), std::vector<int>({1, 2, 3}));
  EXPECT_TRUE(proto::encode_envelopes_pushes({}).empty());
}

}  // namespace
}  // namespace xchat
