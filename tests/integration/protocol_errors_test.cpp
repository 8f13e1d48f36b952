// Protocol robustness: every malformed, mistyped or oversized request gets a stable error
// code and leaves the connection usable; a frame over the size limit closes only its own
// connection. Each test registers a user first and logs it in again at the end, so abuse
// that corrupted the store or crashed the daemon fails the test.
#include <gtest/gtest.h>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"

namespace xchat::testing {
namespace {

using nlohmann::json;

// A JSON value nested `depth` levels deep, counting the outer request object as level 1.
std::string request_nested(int depth) {
  return R"({"type":"ping","id":1,"x":)" + std::string(depth - 1, '[') +
         std::string(depth - 1, ']') + "}";
}

class ProtocolErrors : public ::testing::Test {
 protected:
  explicit ProtocolErrors(Overrides overrides = {}) : daemon_(std::move(overrides)) {}

  void SetUp() override {
    auto setup = connect_or_fail(daemon_);
    ASSERT_NE(setup, nullptr);
    ASSERT_TRUE(register_user(*setup, alice_).contains("result"));
    client_ = connect_or_fail(daemon_);
    ASSERT_NE(client_, nullptr);
  }

  void TearDown() override {
    EXPECT_TRUE(daemon_.running()) << daemon_.log();
    auto fresh = connect_or_fail(daemon_);
    ASSERT_NE(fresh, nullptr);
    EXPECT_TRUE(login(*fresh, alice_).contains("result")) << "stored account lost";
  }

  // Sends `text` as it is and returns the next frame (null on timeout or close).
  json exchange(const std::string& text) {
    if (!client_->send_text(text)) return nullptr;
    return client_->read_json().value_or(nullptr);
  }

  // The connection must still answer a well-formed request after an error.
  void expect_still_usable() {
    const json reply = client_->request({{"type", "ping"}, {"id", "after-error"}});
    EXPECT_TRUE(reply.contains("result")) << "connection unusable after an error: " << reply;
  }

  Daemon daemon_;
  TestUser alice_{"@Alice"};
  std::unique_ptr<WsClient> client_;
};

// Asserts an error reply with `code` echoing `id`; `field`, when given, must be named in
// the message so that a client developer can see what was wrong.
void expect_error(const json& reply, std::string_view code, const json& id,
                  std::string_view field = {}) {
  ASSERT_TRUE(reply.is_object() && reply.contains("error")) << reply;
  EXPECT_EQ(reply["error"]["code"], code) << reply;
  EXPECT_EQ(reply["id"], id) << reply;
  EXPECT_FALSE(reply.contains("result")) << reply;
  if (!field.empty()) {
    std::string quoted(1, '\'');
    quoted.append(field).push_back('\'');
    EXPECT_NE(reply["error"]["message"].get<std::string>().find(quoted), std::string::npos)
        << reply;
  }
}

TEST_F(ProtocolErrors, MalformedJsonIsBadRequestWithNullId) {
  for (const std::string text : {R"({"type":"ping","id":1)", "not json", "", "{'id':1}"}) {
    SCOPED_TRACE(text);
    expect_error(exchange(text), "bad_request", nullptr);
    expect_still_usable();
  }
}

TEST_F(ProtocolErrors, LoneSurrogateEscapeIsBadRequest) {
  // Valid UTF-8 on the wire, but \ud800 decodes to no Unicode scalar value.
  expect_error(exchange(R"({"type":"ping","id":1,"x":"\ud800"})"), "bad_request", nullptr);
  expect_still_usable();
}

// RFC 6455 section 8.1: an endpoint that finds invalid UTF-8 in a text message MUST fail
// the connection (1007). Only that connection goes; the JSON-level equivalent above is an
// ordinary bad_request.
TEST_F(ProtocolErrors, InvalidUtf8InATextFrameClosesWith1007) {
  auto other = connect_or_fail(daemon_);
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(client_->send_text("{\"type\":\"ping\",\"id\":1,\"x\":\"\xff\xfe\"}"));
  EXPECT_EQ(client_->wait_close(5s), 1007);
  EXPECT_TRUE(other->request({{"type", "ping"}}).contains("result"));
}

TEST_F(ProtocolErrors, NonObjectFramesAreBadRequest) {
  for (const std::string text : {"[1,2,3]", "42", R"("ping")", "null", "true"}) {
    SCOPED_TRACE(text);
    expect_error(exchange(text), "bad_request", nullptr);
    expect_still_usable();
  }
}

TEST_F(ProtocolErrors, MissingOrMalformedIdIsBadRequestWithNullId) {
  expect_error(exchange(R"({"type":"ping"})"), "bad_request", nullptr, "id");
  expect_still_usable();
  expect_error(exchange(R"({"type":"ping","id":1.5})"), "bad_request", nullptr, "id");
  expect_still_usable();
  expect_error(exchange(R"({"type":"ping","id":")" + std::string(65, 'i') + "\"}"), "bad_request",
               nullptr, "id");
  expect_still_usable();
}

TEST_F(ProtocolErrors, MissingOrNonStringTypeEchoesTheId) {
  expect_error(exchange(R"({"id":7})"), "bad_request", 7, "type");
  expect_still_usable();
  expect_error(exchange(R"({"id":"t","type":5})"), "bad_request", "t", "type");
  expect_still_usable();
}

TEST_F(ProtocolErrors, UnknownTypeEchoesTheId) {
  expect_error(exchange(R"({"id":"u-1","type":"no.such.thing"})"), "unknown_type", "u-1");
  expect_still_usable();
  // Type names are case-sensitive.
  expect_error(exchange(R"({"id":2,"type":"PING"})"), "unknown_type", 2);
  expect_still_usable();
}

TEST_F(ProtocolErrors, WrongTypedFieldsAreBadRequestNamingTheField) {
  const json login_base = {{"type", "auth.login"},
                           {"handle", "@Alice"},
                           {"device_id", 1},
                           {"nonce", std::string(44, 'A')},
                           {"signature", std::string(88, 'A')}};
  const json register_base = alice_.register_request();
  struct Case {
    json request;
    std::string field;
  };
  std::vector<Case> cases;
  auto with = [](json base, const json::json_pointer& at, json value) {
    base[at] = std::move(value);
    return base;
  };
  cases.push_back({with(login_base, "/handle"_json_pointer, 42), "handle"});
  cases.push_back({with(login_base, "/device_id"_json_pointer, "1"), "device_id"});
  cases.push_back({with(login_base, "/device_id"_json_pointer, -1), "device_id"});
  cases.push_back({with(login_base, "/device_id"_json_pointer, 1LL << 40), "device_id"});
  cases.push_back({with(login_base, "/device_id"_json_pointer, 1.0), "device_id"});
  cases.push_back({with(login_base, "/nonce"_json_pointer, json::array()), "nonce"});
  cases.push_back({with(login_base, "/nonce"_json_pointer, "not base64!"), "nonce"});
  cases.push_back({with(register_base, "/handle"_json_pointer, 7), "handle"});
  cases.push_back({with(register_base, "/identity_key"_json_pointer, true), "identity_key"});
  cases.push_back({with(register_base, "/identity_key"_json_pointer, "AAAA"), "identity_key"});
  cases.push_back({with(register_base, "/device"_json_pointer, "device-1"), "device"});
  cases.push_back({with(register_base, "/device/id"_json_pointer, "1"), "id"});
  cases.push_back({with(register_base, "/device/id"_json_pointer, 0), "id"});
  cases.push_back({with(register_base, "/device/key"_json_pointer, 5), "key"});
  const json register_new_handle = with(register_base, "/handle"_json_pointer, "@Bob");
  cases.push_back({with(register_new_handle, "/invite"_json_pointer, 12345), "invite"});
  int id = 100;
  for (auto& c : cases) {
    c.request["id"] = ++id;
    SCOPED_TRACE(c.request.dump());
    expect_error(exchange(c.request.dump()), "bad_request", id, c.field);
    expect_still_usable();
  }
}

TEST_F(ProtocolErrors, OverLongStringsAreTooLarge) {
  const std::string huge(10 * 1024, 'a');
  json reg = alice_.register_request();
  reg["handle"] = "@" + huge;
  reg["id"] = 1;
  expect_error(exchange(reg.dump()), "too_large", 1, "handle");
  expect_still_usable();
  const json login_req = {{"type", "auth.login"}, {"id", 2},         {"handle", "@" + huge},
                          {"device_id", 1},       {"nonce", "AAAA"}, {"signature", "AAAA"}};
  expect_error(exchange(login_req.dump()), "too_large", 2, "handle");
  expect_still_usable();
}

TEST_F(ProtocolErrors, NestingDeeperThanSixteenLevelsIsBadRequest) {
  EXPECT_TRUE(exchange(request_nested(16)).contains("result"));
  const json reply = exchange(request_nested(17));
  ASSERT_TRUE(reply.contains("error")) << reply;
  EXPECT_EQ(reply["error"]["code"], "bad_request");
  expect_still_usable();
  // Brackets inside strings are data, not nesting.
  EXPECT_TRUE(
      exchange(R"({"type":"ping","id":3,"x":")" + std::string(40, '[') + "\"}").contains("result"));
}

TEST_F(ProtocolErrors, BinaryFrameIsBadRequestWithNullId) {
  ASSERT_TRUE(client_->send_binary(R"({"type":"ping","id":1})"));
  expect_error(client_->read_json().value_or(nullptr), "bad_request", nullptr);
  expect_still_usable();
}

// Every request type sent bare gets a reply carrying its id, before and after login:
// never silence, never a crash.
TEST_F(ProtocolErrors, EveryRequestTypeWithoutFieldsGetsAReply) {
  struct Expect {
    std::string type;
    std::string anonymous;  // error code before login, "" for a result
    std::string logged_in;  // error code after login, "" for a result
  };
  const std::vector<Expect> table = {
      {"ping", "", ""},
      {"auth.challenge", "", "already_authenticated"},
      {"auth.login", "bad_request", "already_authenticated"},
      {"register", "bad_request", "already_authenticated"},
      {"account.info", "unauthenticated", ""},
      {"device.list", "unauthenticated", ""},
      {"device.add", "unauthenticated", "bad_request"},
      {"device.remove", "unauthenticated", "bad_request"},
      {"user.lookup", "unauthenticated", "bad_request"},
  };
  auto check = [&](bool logged_in) {
    for (const auto& e : table) {
      SCOPED_TRACE(e.type + (logged_in ? " after login" : " before login"));
      const std::string want = logged_in ? e.logged_in : e.anonymous;
      const json reply = client_->request({{"type", e.type}, {"id", e.type}});
      ASSERT_FALSE(reply.is_null()) << "no reply";
      if (want.empty()) {
        EXPECT_TRUE(reply.contains("result")) << reply;
      } else {
        expect_error(reply, want, e.type);
      }
    }
  };
  check(false);
  ASSERT_TRUE(login(*client_, alice_).contains("result"));
  check(true);
  expect_still_usable();
}

class ProtocolErrorsFrameLimit : public ProtocolErrors {
 protected:
  ProtocolErrorsFrameLimit() : ProtocolErrors(Overrides{{"limits.max_frame_bytes", "4096"}}) {}
};

TEST_F(ProtocolErrorsFrameLimit, FrameOverTheLimitClosesWith1009) {
  const std::string padding = R"({"type":"ping","id":1,"pad":")";
  const std::string fits = padding + std::string(4000 - padding.size() - 2, 'p') + "\"}";
  EXPECT_TRUE(exchange(fits).contains("result")) << "a 4000-byte frame is within the limit";

  auto other = connect_or_fail(daemon_);
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(client_->send_text(padding + std::string(5000, 'p') + "\"}"));
  EXPECT_EQ(client_->wait_close(5s), 1009);

  // Only the offending connection goes; the others and new ones carry on.
  EXPECT_TRUE(other->request({{"type", "ping"}}).contains("result"));
  auto fresh = connect_or_fail(daemon_);
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(fresh->request({{"type", "ping"}}).contains("result"));
}

}  // namespace
}  // namespace xchat::testing
