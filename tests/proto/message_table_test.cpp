#include "proto/message_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace xchat {
namespace {

using proto::Access;
using proto::find_message;
using proto::message_table;

TEST(MessageTable, NamesAndTypesAreUnique) {
  std::set<std::string_view> names;
  std::set<proto::RequestType> types;
  for (const auto& m : message_table()) {
    EXPECT_TRUE(names.insert(m.name).second) << m.name;
    EXPECT_TRUE(types.insert(m.type).second) << m.name;
  }
}

TEST(MessageTable, FindMessageFindsEveryRow) {
  for (const auto& m : message_table()) {
    const proto::MessageSpec* found = find_message(m.name);
    ASSERT_NE(found, nullptr) << m.name;
    EXPECT_EQ(found, &m);
  }
}

TEST(MessageTable, UnknownNamesAreNull) {
  for (const char* name : {"", "PING", "Ping", "ping ", " ping", "auth", "auth.", "auth.logout",
                           "device", "device.list.all", "register\n", "user_lookup"}) {
    EXPECT_EQ(find_message(name), nullptr) << '"' << name << '"';
  }
  EXPECT_EQ(find_message(std::string_view("ping\0", 5)), nullptr);
}

TEST(MessageTable, AccessRulesAsDocumented) {
  // docs/protocol.md: login and registration only before login, account features after,
  // and the chat features (lookup, key fetch, send) only for subscribers when subscriptions
  // are required; receiving and managing one's own lists stay open.
  const std::map<std::string, Access> documented = {
      {"ping", Access::kAnyone},
      {"auth.challenge", Access::kAnonymous},
      {"auth.login", Access::kAnonymous},
      {"register", Access::kAnonymous},
      {"account.info", Access::kAuthenticated},
      {"device.list", Access::kAuthenticated},
      {"device.add", Access::kAuthenticated},
      {"device.remove", Access::kAuthenticated},
      {"user.lookup", Access::kSubscribed},
      {"keys.upload", Access::kAuthenticated},
      {"keys.fetch", Access::kSubscribed},
      {"send", Access::kSubscribed},
      {"ack", Access::kAuthenticated},
      {"contacts.add", Access::kAuthenticated},
      {"contacts.remove", Access::kAuthenticated},
      {"contacts.list", Access::kAuthenticated},
      {"blocks.add", Access::kAuthenticated},
      {"blocks.remove", Access::kAuthenticated},
      {"blocks.list", Access::kAuthenticated},
      {"privacy.set", Access::kAuthenticated},
      {"attachment.upload_token", Access::kSubscribed},
      {"attachment.download_token", Access::kAuthenticated},
  };
  EXPECT_EQ(message_table().size(), documented.size());
  for (const auto& [name, access] : documented) {
    const proto::MessageSpec* m = find_message(name);
    ASSERT_NE(m, nullptr) << name;
    EXPECT_EQ(m->access, access) << name;
  }
}

TEST(MessageTable, RowsMapToTheirRequestType) {
  EXPECT_EQ(find_message("ping")->type, proto::RequestType::kPing);
  EXPECT_EQ(find_message("auth.challenge")->type, proto::RequestType::kAuthChallenge);
  EXPECT_EQ(find_message("auth.login")->type, proto::RequestType::kAuthLogin);
  EXPECT_EQ(find_message("register")->type, proto::RequestType::kRegister);
  EXPECT_EQ(find_message("account.info")->type, proto::RequestType::kAccountInfo);
  EXPECT_EQ(find_message("device.list")->type, proto::RequestType::kDeviceList);
  EXPECT_EQ(find_message("device.add")->type, proto::RequestType::kDeviceAdd);
  EXPECT_EQ(find_message("device.remove")->type, proto::RequestType::kDeviceRemove);
  EXPECT_EQ(find_message("user.lookup")->type, proto::RequestType::kUserLookup);
  EXPECT_EQ(find_message("keys.upload")->type, proto::RequestType::kKeysUpload);
  EXPECT_EQ(find_message("keys.fetch")->type, proto::RequestType::kKeysFetch);
}

}  // namespace
}  // namespace xchat
