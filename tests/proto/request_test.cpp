#include "proto/request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace xchat {
namespace {

using proto::decode_request;

// A valid request whose "x" field holds `depth` nested arrays: total depth is depth + 1.
std::string nested(std::size_t depth) {
  return R"({"id":1,"type":"ping","x":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

void expect_bad_request(const proto::Request& r, const std::string& message) {
  EXPECT_FALSE(r.status);
  EXPECT_EQ(r.status.code(), ErrorCode::kBadRequest);
  EXPECT_EQ(r.status.message(), message);
}

TEST(Request, DecodesAValidRequest) {
  auto r = decode_request(R"({"type":"auth.login","id":7,"handle":"@alice"})");
  ASSERT_TRUE(r.status) << r.status.message();
  EXPECT_EQ(r.id, 7);
  EXPECT_EQ(r.type, "auth.login");
  EXPECT_EQ(r.body["handle"], "@alice");

  auto s = decode_request(R"({"type":"ping","id":"req-1"})");
  ASSERT_TRUE(s.status) << s.status.message();
  EXPECT_EQ(s.id, "req-1");

  auto negative = decode_request(R"({"type":"ping","id":-5})");
  ASSERT_TRUE(negative.status);
  EXPECT_EQ(negative.id, -5);
}

TEST(Request, IdOfSixtyFourCharactersIsTheLongest) {
  const std::string id64(64, 'i');
  auto ok = decode_request(R"({"type":"ping","id":")" + id64 + R"("})");
  ASSERT_TRUE(ok.status) << ok.status.message();
  EXPECT_EQ(ok.id, id64);

  auto too_long = decode_request(R"({"type":"ping","id":")" + id64 + R"(i"})");
  expect_bad_request(too_long,
                     "field 'id' must be an integer or a string of at most 64 characters");
  EXPECT_TRUE(too_long.id.is_null());  // never echoed
}

TEST(Request, IllTypedIdIsRefusedAndNotEchoed) {
  for (const char* id : {"1.5", "1.0", "1e3", "true", "false", "null", R"({"a":1})", "[1]"}) {
    auto r = decode_request(std::string(R"({"type":"ping","id":)") + id + "}");
    expect_bad_request(r, "field 'id' must be an integer or a string of at most 64 characters");
    EXPECT_TRUE(r.id.is_null()) << id;
  }
}

TEST(Request, MissingId) {
  auto r = decode_request(R"({"type":"ping"})");
  expect_bad_request(r, "missing field 'id'");
  EXPECT_TRUE(r.id.is_null());
}

TEST(Request, MissingOrIllTypedTypeEchoesTheId) {
  auto missing = decode_request(R"({"id":3})");
  expect_bad_request(missing, "missing field 'type'");
  EXPECT_EQ(missing.id, 3);

  auto number = decode_request(R"({"id":"x","type":5})");
  expect_bad_request(number, "field 'type' must be a string");
  EXPECT_EQ(number.id, "x");
}

TEST(Request, InvalidJson) {
  for (const char* frame : {"", "{", R"({"id":1,"type":"ping")", R"({"id":1,"type":"ping",})",
                            R"({id:1})", "{'id':1}", R"({"id":1}{"id":2})", "nul"}) {
    auto r = decode_request(frame);
    expect_bad_request(r, "the frame is not valid JSON (UTF-8)");
    EXPECT_TRUE(r.id.is_null()) << frame;
  }
}

TEST(Request, InvalidUtf8) {
  for (const char* frame : {"{\"id\":1,\"type\":\"ping\",\"x\":\"\xff\"}",
                            "{\"id\":1,\"type\":\"ping\",\"x\":\"\xc3\"}",
                            "{\"id\":1,\"type\":\"ping\",\"x\":\"\xed\xa0\x80\"}",  // surrogate
                            "{\"id\":1,\"type\":\"ping\",\"x\":\"\xc0\xaf\"}"}) {   // overlong
    expect_bad_request(decode_request(frame), "the frame is not valid JSON (UTF-8)");
  }
  auto ok = decode_request("{\"id\":1,\"type\":\"ping\",\"x\":\"\xc3\xa9\xf0\x9f\x98\x80\"}");
  EXPECT_TRUE(ok.status) << ok.status.message();
}

TEST(Request, NonObjectFrames) {
  for (const char* frame :
       {"[]", R"([{"id":1,"type":"ping"}])", "42", R"("ping")", "null", "true"}) {
    auto r = decode_request(frame);
    expect_bad_request(r, "the frame must be a JSON object");
    EXPECT_TRUE(r.id.is_null()) << frame;
  }
}

TEST(Request, DepthSixteenIsAcceptedSeventeenIsNot) {
  auto at_limit = decode_request(nested(15));
  EXPECT_TRUE(at_limit.status) << at_limit.status.message();
  auto over = decode_request(nested(16));
  expect_bad_request(over, "JSON nested deeper than 16 levels");
  EXPECT_TRUE(over.id.is_null());
}

TEST(Request, DepthCountsNestingNotBrackets) {
  // Many siblings, each shallow.
  std::string siblings = R"({"id":1,"type":"ping","x":[)";
  for (int i = 0; i < 100; ++i) siblings += std::string(i ? "," : "") + "[[{}]]";
  EXPECT_TRUE(decode_request(siblings + "]}").status);
  // Brackets inside strings, also after escaped quotes, are text.
  const std::string brackets(1000, '[');
  auto in_string = decode_request(R"({"id":1,"type":"ping","x":")" + brackets + R"("})");
  EXPECT_TRUE(in_string.status) << in_string.status.message();
  auto after_escape = decode_request(R"({"id":1,"type":"ping","x":"a\"b\\)" + std::string("\\\"") +
                                     brackets + R"("})");
  EXPECT_TRUE(after_escape.status) << after_escape.status.message();
  // Stray closing brackets cannot buy depth for what follows.
  auto stray = decode_request(std::string(100, ']') + std::string(17, '['));
  expect_bad_request(stray, "JSON nested deeper than 16 levels");
}

TEST(Request, HostileDepthIsRefusedCheaply) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  expect_bad_request(decode_request(deep), "JSON nested deeper than 16 levels");
  const std::string deep_objects = R"({"id":1,"type":"ping","x":)" +
                                   [] {
                                     std::string s;
                                     for (int i = 0; i < 100000; ++i) s += R"({"a":)";
                                     return s;
                                   }() +
                                   "1" + std::string(100000, '}') + "}";
  expect_bad_request(decode_request(deep_objects), "JSON nested deeper than 16 levels");
  // Unterminated: nothing would ever close it.
  expect_bad_request(decode_request(std::string(100000, '{')), "JSON nested deeper than 16 levels");
}

}  // namespace
}  // namespace xchat
