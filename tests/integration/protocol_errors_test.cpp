// Protocol robustness: every malformed, mistyped or oversized request gets a stable error
// code and leaves the connection usable; a frame over the size limit closes only its own
// connection. Each test registers a user first and logs it in again at the end, so abuse
// that corrupted the store or crashed the daemon fails the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/messaging.hpp"
#include "integration/support/ws_client.hpp"
#include "proto/message_table.hpp"
#include "xchat/base64.hpp"

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

// Depth is checked before parsing: 100,000 brackets cost a scan, not a recursion. (Each
// frame stays under the default 128 KiB limit.)
TEST_F(ProtocolErrors, AHundredThousandOpenBracketsAreBadRequest) {
  for (const std::string& text : {request_nested(60000), std::string(100000, '['),
                                 R"({"type":"ping","id":1,"x":)" + std::string(100000, '{')}) {
    expect_error(exchange(text), "bad_request", nullptr);
    expect_still_usable();
  }
}

// Within the frame limit, size alone is no error: a ping padded with 120 KB of fields
// nobody reads (many keys, a long array, a long string) is answered like any other.
TEST_F(ProtocolErrors, HugeJsonWithinTheFrameLimitIsServed) {
  json wide = {{"type", "ping"}, {"id", "wide"}};
  for (int i = 0; i < 10000; ++i) wide[std::to_string(i)] = i;
  json longer = {{"type", "ping"}, {"id", "long"}, {"x", std::vector<int>(50000, 0)}};
  json text = {{"type", "ping"}, {"id", "text"}, {"x", std::string(120000, 'x')}};
  for (const json& request : {wide, longer, text}) {
    ASSERT_LT(request.dump().size(), 131072u);
    const json reply = exchange(request.dump());
    EXPECT_TRUE(reply.contains("result")) << request["id"] << ": " << reply;
    EXPECT_EQ(reply["id"], request["id"]);
  }
  expect_still_usable();
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

// The shape of one request type for the field-by-field test: well-formed requests (each
// field of each is broken in turn), and which fields may be left out or be null. Fields
// are JSON pointers; an array's first item stands for all of them.
struct RequestShape {
  std::vector<json> valid;
  std::set<std::string> optional = {};
  std::set<std::string> nullable = {};
  std::set<std::string> base64 = {};
};

// The name an error message must quote for the field at `at`: the nearest object key
// ("/device/id" is 'id', "/seqs/0" is 'seqs').
std::string field_name(const json::json_pointer& at) {
  json::json_pointer p = at;
  while (!p.empty()) {
    const std::string last = p.back();
    if (last.empty() || !std::all_of(last.begin(), last.end(), ::isdigit)) return last;
    p.pop_back();
  }
  return "";
}

// Every field of `request` (not "type" or "id"), depth first.
void collect_fields(const json& value, const json::json_pointer& at,
                    std::vector<json::json_pointer>& out) {
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      if (at.empty() && (key == "type" || key == "id")) continue;
      out.push_back(at / key);
      collect_fields(item, at / key, out);
    }
  } else if (value.is_array() && !value.empty()) {
    out.push_back(at / 0);
    collect_fields(value[0], at / 0, out);
  }
}

// Values of every JSON type but `like`'s: the wrong types for a field holding `like`.
std::vector<json> wrong_types(const json& like) {
  const std::vector<json> all = {nullptr, true, 7, 1.5, "text", json::array({1}),
                                 json::object({{"x", 1}})};
  std::vector<json> out;
  for (const auto& v : all) {
    const bool same = v.type() == like.type() || (v.is_number_integer() && like.is_number_integer());
    if (!same) out.push_back(v);
  }
  return out;
}

// Every request type sends each of its fields missing, and as each wrong JSON type, and
// each base64 field as invalid base64: each gets bad_request naming the field, and the
// connection goes on. The shapes are keyed by the server's own message table, so a new
// request type fails this test until its shape is added.
TEST_F(ProtocolErrors, EveryFieldOfEveryRequestType) {
  TestUser bob("@Bob");
  ASSERT_TRUE(register_offline(daemon_, bob));
  TestUser carol("@Carol");
  auto anonymous = connect_or_fail(daemon_);
  ASSERT_NE(anonymous, nullptr);
  ASSERT_TRUE(login(*client_, alice_).contains("result"));

  const std::string key = base64_encode(random_bytes(32));
  const std::string signature = base64_encode(random_bytes(64));
  const std::string message_id = base64_encode(random_bytes(16));
  const json envelopes =
      json::array({{{"device_id", 1}, {"ciphertext", base64_encode(random_bytes(8))}}});
  const json send = {{"type", "send"}, {"to", "@Bob"}, {"message_id", message_id},
                     {"envelopes", envelopes}};
  auto with = [](json base, const json& extra) {
    base.update(extra);
    return base;
  };
  const std::map<std::string, RequestShape> shapes = {
      {"ping", {{{{"type", "ping"}}}}},
      {"auth.challenge", {{{{"type", "auth.challenge"}}}}},
      {"auth.login",
       {{{{"type", "auth.login"}, {"handle", "@Alice"}, {"device_id", 1}, {"nonce", key},
          {"signature", signature}}},
        {},
        {},
        {"/nonce", "/signature"}}},
      {"register",
       {{with(carol.register_request(), {{"invite", "CODE"}})},
        {"/invite"},
        {"/invite"},
        {"/identity_key", "/device/key", "/device/signature"}}},
      {"account.info", {{{{"type", "account.info"}}}}},
      {"device.list", {{{{"type", "device.list"}}}}},
      {"device.add",
       {{{{"type", "device.add"},
          {"device", alice_.device_object(2, KeyPair::generate())}}},
        {},
        {},
        {"/device/key", "/device/signature"}}},
      {"device.remove", {{{{"type", "device.remove"}, {"device_id", 2}}}}},
      {"user.lookup", {{{{"type", "user.lookup"}, {"handle", "@Bob"}}}}},
      {"keys.upload",
       {{keys_upload_request(alice_, DeviceKeys::generate(1))},
        {"/identity_dh_key", "/signed_prekey", "/one_time_prekeys"},
        {},
        {"/identity_dh_key", "/signed_prekey/key", "/signed_prekey/signature",
         "/one_time_prekeys/0/key"}}},
      {"keys.fetch", {{{{"type", "keys.fetch"}, {"handle", "@Bob"}}}}},
      {"send",
       {{with(send, {{"sync", json::array()}, {"ephemeral", false}, {"expires_in", 60}}),
         with(send, {{"edits", message_id}}), with(send, {{"retracts", message_id}}),
         with(send, {{"attachments", {std::string(32, '0')}}})},
        {"/sync", "/ephemeral", "/expires_in", "/edits", "/retracts", "/attachments"},
        {},
        {"/message_id", "/envelopes/0/ciphertext", "/edits", "/retracts"}}},
      {"ack", {{{{"type", "ack"}, {"seqs", {1}}}}}},
      {"contacts.add", {{{{"type", "contacts.add"}, {"handle", "@Bob"}}}}},
      {"contacts.remove", {{{{"type", "contacts.remove"}, {"handle", "@Bob"}}}}},
      {"contacts.list", {{{{"type", "contacts.list"}}}}},
      {"blocks.add", {{{{"type", "blocks.add"}, {"handle", "@Bob"}}}}},
      {"blocks.remove", {{{{"type", "blocks.remove"}, {"handle", "@Bob"}}}}},
      {"blocks.list", {{{{"type", "blocks.list"}}}}},
      {"privacy.set", {{{{"type", "privacy.set"}, {"who_can_message", "everyone"}}}}},
      {"attachment.upload_token", {{{{"type", "attachment.upload_token"}}}}},
      {"attachment.download_token",
       {{{{"type", "attachment.download_token"}, {"attachment", std::string(32, '0')}}}}},
  };

  int id = 1000;
  int cases = 0;
  for (const auto& spec : proto::message_table()) {
    const std::string type(spec.name);
    const auto shape = shapes.find(type);
    ASSERT_NE(shape, shapes.end()) << "no shape for request type " << type;
    WsClient& c = spec.access == proto::Access::kAnonymous ? *anonymous : *client_;
    auto expect_refused = [&](json request, const json::json_pointer& at, const std::string& what) {
      request["id"] = ++id;
      ++cases;
      SCOPED_TRACE(type + " " + at.to_string() + " " + what + ": " + request.dump());
      expect_error(c.request(request), "bad_request", id, field_name(at));
      const json pong = c.request({{"type", "ping"}});
      EXPECT_TRUE(pong.contains("result")) << "connection unusable: " << pong;
    };
    for (const json& valid : shape->second.valid) {
      std::vector<json::json_pointer> fields;
      collect_fields(valid, json::json_pointer(), fields);
      for (const auto& at : fields) {
        const std::string path = at.to_string();
        if (!shape->second.optional.contains(path) && valid[at.parent_pointer()].is_object()) {
          json missing = valid;
          missing[at.parent_pointer()].erase(at.back());
          expect_refused(missing, at, "missing");
        }
        for (const json& wrong : wrong_types(valid[at])) {
          if (wrong.is_null() && shape->second.nullable.contains(path)) continue;
          json broken = valid;
          broken[at] = wrong;
          expect_refused(broken, at, "as " + wrong.dump());
        }
        if (shape->second.base64.contains(path)) {
          const std::string text = valid[at];
          json broken = valid;
          broken[at] = std::string(text.size(), '*');
          expect_refused(broken, at, "not base64");
          broken[at] = text.substr(0, text.size() - 1);  // padding cut
          expect_refused(broken, at, "not a multiple of 4");
          broken[at] = "AA==" + text.substr(4);  // padding inside
          expect_refused(broken, at, "padding inside");
        }
      }
    }
  }
  std::printf("[ cases    ] %d malformed requests\n", cases);
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
