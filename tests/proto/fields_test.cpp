#include "proto/fields.hpp"

#include <gtest/gtest.h>

#include <string>

#include "xchat/base64.hpp"

namespace xchat {
namespace {

using nlohmann::json;

template <class T>
void expect_error(const Result<T>& r, ErrorCode code, const std::string& message) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), code);
  EXPECT_EQ(r.status().message(), message);
}

TEST(Fields, String) {
  const json obj = {{"handle", "@alice"}, {"n", 5}, {"nil", nullptr}, {"e", "\xc3\xa9\xc3\xa9"}};
  auto ok = proto::string_field(obj, "handle", 16);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, "@alice");
  EXPECT_TRUE(proto::string_field(obj, "handle", 6));  // exactly the limit
  expect_error(proto::string_field(obj, "handle", 5), ErrorCode::kTooLarge,
               "field 'handle' is longer than 5 bytes");
  expect_error(proto::string_field(obj, "missing", 16), ErrorCode::kBadRequest,
               "missing field 'missing'");
  expect_error(proto::string_field(obj, "n", 16), ErrorCode::kBadRequest,
               "field 'n' must be a string");
  expect_error(proto::string_field(obj, "nil", 16), ErrorCode::kBadRequest,
               "field 'nil' must be a string");
  // The limit counts bytes, not characters.
  EXPECT_TRUE(proto::string_field(obj, "e", 4));
  expect_error(proto::string_field(obj, "e", 3), ErrorCode::kTooLarge,
               "field 'e' is longer than 3 bytes");
}

TEST(Fields, OptionalString) {
  const json obj = {{"invite", "abc"}, {"nil", nullptr}, {"n", 1}};
  auto absent = proto::optional_string_field(obj, "missing", 8);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->has_value());
  auto null = proto::optional_string_field(obj, "nil", 8);
  ASSERT_TRUE(null);
  EXPECT_FALSE(null->has_value());
  auto present = proto::optional_string_field(obj, "invite", 8);
  ASSERT_TRUE(present);
  EXPECT_EQ(present->value(), "abc");
  expect_error(proto::optional_string_field(obj, "n", 8), ErrorCode::kBadRequest,
               "field 'n' must be a string");
  expect_error(proto::optional_string_field(obj, "invite", 2), ErrorCode::kTooLarge,
               "field 'invite' is longer than 2 bytes");
}

TEST(Fields, Bytes) {
  const std::string raw(32, '\x5a');
  const json obj = {{"key", base64_encode(raw)},
                    {"short", base64_encode(std::string(31, 'a'))},
                    {"long", base64_encode(std::string(33, 'a'))},
                    {"huge", std::string(100000, 'A')},
                    {"unpadded", "Zm9vYmE"},
                    {"urlsafe", base64_encode(std::string(32, '\xfb'))},
                    {"n", 32}};
  auto ok = proto::bytes_field(obj, "key", 32);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, raw);
  expect_error(proto::bytes_field(obj, "short", 32), ErrorCode::kBadRequest,
               "field 'short' must be base64 of 32 bytes");
  expect_error(proto::bytes_field(obj, "long", 32), ErrorCode::kBadRequest,
               "field 'long' must be base64 of 32 bytes");
  expect_error(proto::bytes_field(obj, "huge", 32), ErrorCode::kBadRequest,
               "field 'huge' must be base64 of 32 bytes");
  expect_error(proto::bytes_field(obj, "unpadded", 5), ErrorCode::kBadRequest,
               "field 'unpadded' must be standard base64 with padding");
  expect_error(proto::bytes_field(obj, "missing", 32), ErrorCode::kBadRequest,
               "missing field 'missing'");
  expect_error(proto::bytes_field(obj, "n", 32), ErrorCode::kBadRequest,
               "field 'n' must be a string");

  std::string url_safe = obj["urlsafe"];
  ASSERT_NE(url_safe.find_first_of("+/"), std::string::npos);
  for (char& c : url_safe) c = c == '+' ? '-' : c == '/' ? '_' : c;
  expect_error(proto::bytes_field(json{{"k", url_safe}}, "k", 32), ErrorCode::kBadRequest,
               "field 'k' must be standard base64 with padding");
  auto sig = proto::bytes_field(json{{"sig", base64_encode(std::string(64, '\x01'))}}, "sig", 64);
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->size(), 64u);
}

TEST(Fields, U32) {
  const json obj = {{"one", 1},
                    {"zero", 0},
                    {"max", 4294967295u},
                    {"big", 4294967296LL},
                    {"huge", 18446744073709551615ull},
                    {"neg", -1},
                    {"very_neg", -4294967297LL},
                    {"float", 1.0},
                    {"frac", 1.5},
                    {"text", "1"},
                    {"bool", true},
                    {"nil", nullptr}};
  const std::string range = "an integer in 1..2147483647";
  auto ok = proto::u32_field(obj, "one", 1, 2147483647);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 1u);
  auto full = proto::u32_field(obj, "max", 0, 4294967295u);
  ASSERT_TRUE(full);
  EXPECT_EQ(*full, 4294967295u);
  auto zero = proto::u32_field(obj, "zero", 0, 10);
  ASSERT_TRUE(zero);
  EXPECT_EQ(*zero, 0u);

  expect_error(proto::u32_field(obj, "zero", 1, 2147483647), ErrorCode::kBadRequest,
               "field 'zero' must be " + range);
  expect_error(proto::u32_field(obj, "max", 1, 2147483647), ErrorCode::kBadRequest,
               "field 'max' must be " + range);
  for (const char* name :
       {"big", "huge", "neg", "very_neg", "float", "frac", "text", "bool", "nil"}) {
    expect_error(proto::u32_field(obj, name, 0, 4294967295u), ErrorCode::kBadRequest,
                 std::string("field '") + name + "' must be an integer in 0..4294967295");
  }
  expect_error(proto::u32_field(obj, "missing", 1, 5), ErrorCode::kBadRequest,
               "missing field 'missing'");
}

TEST(Fields, U32FromParsedJson) {
  // Numbers as they arrive on the wire, where the parser picks the integer kind.
  const json obj = json::parse(R"({"a":2147483647,"b":2147483648,"c":-0,"d":4294967296})");
  EXPECT_TRUE(proto::u32_field(obj, "a", 1, 2147483647));
  EXPECT_FALSE(proto::u32_field(obj, "b", 1, 2147483647));
  EXPECT_TRUE(proto::u32_field(obj, "c", 0, 1));
  EXPECT_FALSE(proto::u32_field(obj, "d", 0, 4294967295u));
}

TEST(Fields, Object) {
  const json obj = {{"device", {{"id", 1}}}, {"list", json::array()}, {"s", "x"}};
  auto ok = proto::object_field(obj, "device");
  ASSERT_TRUE(ok);
  EXPECT_EQ((**ok)["id"], 1);
  expect_error(proto::object_field(obj, "list"), ErrorCode::kBadRequest,
               "field 'list' must be an object");
  expect_error(proto::object_field(obj, "s"), ErrorCode::kBadRequest,
               "field 's' must be an object");
  expect_error(proto::object_field(obj, "missing"), ErrorCode::kBadRequest,
               "missing field 'missing'");
}

}  // namespace
}  // namespace xchat
