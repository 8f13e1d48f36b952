// Contacts, blocks and who may message whom, as clients see them: contacts carry the
// identity key to verify; a send from a non-contact is a message request until it is
// accepted (contacts.add) or blocked (blocks.add); a blocked sender cannot tell from the
// reply; a contacts-only account refuses strangers.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/messaging.hpp"
#include "integration/support/ws_client.hpp"
#include "xchat/base64.hpp"

namespace xchat::testing {
namespace {

using nlohmann::json;

// A request naming one handle: contacts.add, contacts.remove, blocks.add, blocks.remove.
json about(WsClient& c, const std::string& type, const std::string& handle) {
  return c.request({{"type", type}, {"handle", handle}});
}

// The entries of contacts.list ("contacts") or blocks.list ("blocked"); an empty array, with
// the failure recorded, when the request fails.
json listed(WsClient& c, const std::string& type, const std::string& field) {
  auto reply = c.request({{"type", type}});
  EXPECT_TRUE(reply.contains("result")) << type << ": " << reply.dump();
  return reply.contains("result") ? reply["result"].value(field, json()) : json::array();
}

std::vector<std::string> handles(const json& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.value("handle", ""));
  return out;
}

json set_privacy(WsClient& c, const json& who_can_message) {
  return c.request({{"type", "privacy.set"}, {"who_can_message", who_can_message}});
}

std::string who_can_message(WsClient& c) {
  auto reply = c.request({{"type", "account.info"}});
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
  return reply.contains("result") ? reply["result"].value("who_can_message", "") : "";
}

// A request must succeed: records the failure when it does not.
void ok(WsClient& c, const json& request) {
  auto reply = c.request(request);
  EXPECT_TRUE(reply.contains("result")) << request.dump() << "\n-> " << reply.dump();
}

// The result of a send to device 1 of `to` that must be accepted; null, with the failure
// recorded, if it is not. `request`, when given, receives the request.
json send_one(WsClient& c, const std::string& to, json* request = nullptr) {
  const json r = send_request(to, random_ciphertexts({1}));
  if (request != nullptr) *request = r;
  auto reply = c.request(r);
  EXPECT_TRUE(reply.contains("result")) << r.dump() << "\n-> " << reply.dump();
  return reply.contains("result") ? reply["result"] : json();
}

// Whether `envelope` is flagged as a message request.
bool is_request(const json& envelope) { return envelope.value("request", false) == true; }

TEST(Contacts, AddReturnsTheContactWithItsIdentityKeyAndIsIdempotent) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@Bob");
  auto c = register_and_log_in(d, alice);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(register_offline(d, bob));

  auto reply = about(*c, "contacts.add", "@BOB");
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  const json contact = reply["result"].value("contact", json());
  EXPECT_EQ(contact.value("handle", json()), "@Bob") << "the display form";
  EXPECT_EQ(contact.value("identity_key", json()), base64_encode(bob.identity.public_key));
  EXPECT_TRUE(plausible_timestamp(contact.value("added_at", json()))) << contact.dump();
  EXPECT_EQ(contact.size(), 3u) << contact.dump();

  reply = about(*c, "contacts.add", "@bob");
  EXPECT_EQ(reply.value("result", json()), json({{"contact", contact}}))
      << "adding again returns the existing entry";
  EXPECT_EQ(listed(*c, "contacts.list", "contacts"), json::array({contact}));
}

TEST(Contacts, ListIsTheAccountsInCanonicalOrderAndRemoveTakesOneOut) {
  Daemon d;
  TestUser alice("@alice");
  TestUser zed("@Zed");
  auto c = register_and_log_in(d, alice);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(register_offline(d, zed));
  ASSERT_TRUE(register_offline(d, TestUser("@adam")));
  ASSERT_TRUE(register_offline(d, TestUser("@Mia")));
  for (const auto* handle : {"@zed", "@mia", "@ADAM"})
    ok(*c, {{"type", "contacts.add"}, {"handle", handle}});
  // By canonical (lower-case) handle, shown in display form.
  EXPECT_EQ(handles(listed(*c, "contacts.list", "contacts")),
            std::vector<std::string>({"@adam", "@Mia", "@Zed"}));

  auto reply = about(*c, "contacts.remove", "@MIA");
  EXPECT_EQ(reply.value("result", json()), json({{"removed", true}})) << reply.dump();
  reply = about(*c, "contacts.remove", "@mia");
  EXPECT_EQ(reply.value("result", json()), json({{"removed", false}})) << reply.dump();
  const std::vector<std::string> expected = {"@adam", "@Zed"};
  EXPECT_EQ(handles(listed(*c, "contacts.list", "contacts")), expected);

  // The list belongs to the account, not the device, and is not mutual.
  const auto alice2 = add_device(*c, alice, 2);
  ASSERT_TRUE(alice2.has_value());
  auto other_device = log_in_on_new_connection(d, *alice2);
  ASSERT_NE(other_device, nullptr);
  EXPECT_EQ(handles(listed(*other_device, "contacts.list", "contacts")), expected);
  auto zed_c = log_in_on_new_connection(d, zed);
  ASSERT_NE(zed_c, nullptr);
  EXPECT_EQ(listed(*zed_c, "contacts.list", "contacts"), json::array());

  // And it is on disk.
  c.reset();
  other_device.reset();
  zed_c.reset();
  ASSERT_EQ(d.stop(SIGTERM), 0);
  d.start();
  c = log_in_on_new_connection(d, alice);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(handles(listed(*c, "contacts.list", "contacts")), expected);
}

TEST(Contacts, AddAndBlockRefuseOwnUnknownAndMalformedHandles) {
  Daemon d;
  TestUser alice("@Alice");
  auto c = register_and_log_in(d, alice);
  ASSERT_NE(c, nullptr);
  for (const std::string type : {"contacts.add", "blocks.add"}) {
    EXPECT_EQ(error_code(about(*c, type, "@ALICE")), "bad_request") << type << " of oneself";
    EXPECT_EQ(error_code(about(*c, type, "@nobody")), "not_found") << type;
    EXPECT_EQ(error_code(about(*c, type, "alice")), "invalid_handle") << type;
    EXPECT_EQ(error_code(about(*c, type, "@abcdefghijklmnop")), "invalid_handle") << type;
    EXPECT_EQ(error_code(c->request({{"type", type}})), "bad_request") << type << " without handle";
    EXPECT_EQ(error_code(c->request({{"type", type}, {"handle", 7}})), "bad_request") << type;
  }
  EXPECT_EQ(listed(*c, "contacts.list", "contacts"), json::array());
  EXPECT_EQ(listed(*c, "blocks.list", "blocked"), json::array());
}

TEST(Contacts, ContactsAndBlocksEachHaveTheirOwnLimit) {
  Daemon d(Overrides{{"limits.max_contacts", "2"}});
  auto c = register_and_log_in(d, TestUser("@alice"));
  ASSERT_NE(c, nullptr);
  for (const auto* handle : {"@b1", "@b2", "@b3", "@m1", "@m2", "@m3"}) {
    ASSERT_TRUE(register_offline(d, TestUser(handle)));
  }
  ok(*c, {{"type", "contacts.add"}, {"handle", "@b1"}});
  ok(*c, {{"type", "contacts.add"}, {"handle", "@b2"}});
  auto reply = about(*c, "contacts.add", "@b3");
  EXPECT_EQ(error_code(reply), "too_large") << reply.dump();
  // At the limit, adding an existing contact again is still fine.
  ok(*c, {{"type", "contacts.add"}, {"handle", "@b1"}});
  // Blocks are counted separately.
  ok(*c, {{"type", "blocks.add"}, {"handle", "@m1"}});
  ok(*c, {{"type", "blocks.add"}, {"handle", "@m2"}});
  reply = about(*c, "blocks.add", "@m3");
  EXPECT_EQ(error_code(reply), "too_large") << reply.dump();
  // Removing one makes room.
  ok(*c, {{"type", "contacts.remove"}, {"handle", "@b2"}});
  ok(*c, {{"type", "contacts.add"}, {"handle", "@b3"}});

  EXPECT_EQ(handles(listed(*c, "contacts.list", "contacts")),
            std::vector<std::string>({"@b1", "@b3"}));
  const auto blocked = handles(listed(*c, "blocks.list", "blocked"));
  EXPECT_EQ(std::set<std::string>(blocked.begin(), blocked.end()),
            std::set<std::string>({"@m1", "@m2"}));
}

TEST(Contacts, BlocksAreAddedListedAndRemoved) {
  Daemon d;
  auto c = register_and_log_in(d, TestUser("@alice"));
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(register_offline(d, TestUser("@Mallory")));

  auto reply = about(*c, "blocks.add", "@mallory");
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  const json blocked = reply["result"].value("blocked", json());
  EXPECT_EQ(blocked.value("handle", json()), "@Mallory");
  EXPECT_TRUE(plausible_timestamp(blocked.value("blocked_at", json()))) << blocked.dump();
  EXPECT_EQ(blocked.size(), 2u) << blocked.dump();
  reply = about(*c, "blocks.add", "@MALLORY");
  EXPECT_EQ(reply.value("result", json()), json({{"blocked", blocked}})) << "idempotent";
  EXPECT_EQ(listed(*c, "blocks.list", "blocked"), json::array({blocked}));

  reply = about(*c, "blocks.remove", "@Mallory");
  EXPECT_EQ(reply.value("result", json()), json({{"removed", true}})) << reply.dump();
  reply = about(*c, "blocks.remove", "@mallory");
  EXPECT_EQ(reply.value("result", json()), json({{"removed", false}})) << reply.dump();
  EXPECT_EQ(listed(*c, "blocks.list", "blocked"), json::array());
}

TEST(Contacts, BlockedSenderGetsAnOrdinaryLookingReplyAndTheRecipientNothing) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  TestUser carol("@carol");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  auto bob1 = register_and_log_in(d, bob);
  ASSERT_NE(bob1, nullptr);
  const auto bob2 = add_device(*bob1, bob, 2);
  ASSERT_TRUE(bob2.has_value());
  ok(*bob1, {{"type", "blocks.add"}, {"handle", "@alice"}});
  ASSERT_EQ(receive_until_queue_empty(*bob1, Ack::kNone).problem, "");
  {
    auto c = register_and_log_in(d, carol);
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(add_device(*c, carol, 2).has_value());
  }

  // A real acceptance, to carol, and the blocked send, to bob: both have two devices.
  auto reply = sender->request(send_request("@carol", random_ciphertexts({1, 2})));
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  const json real = reply["result"];
  const json request = send_request("@bob", random_ciphertexts({1, 2}));
  reply = sender->request(request);
  ASSERT_TRUE(reply.contains("result")) << "a blocked sender must not learn it: " << reply.dump();
  const json fake = reply["result"];

  std::set<std::string> real_keys, fake_keys;
  for (const auto& [key, value] : real.items()) real_keys.insert(key);
  for (const auto& [key, value] : fake.items()) fake_keys.insert(key);
  EXPECT_EQ(fake_keys, real_keys) << "real: " << real.dump() << "\nblocked: " << fake.dump();
  EXPECT_EQ(fake.value("message_id", json()), request["message_id"]);
  EXPECT_TRUE(plausible_timestamp(fake.value("timestamp", json()))) << fake.dump();
  EXPECT_GE(fake.value("timestamp", json(0)), real.value("timestamp", json(0))) << fake.dump();
  EXPECT_EQ(fake.value("envelopes", json()).size(), 2u) << fake.dump();
  // Seqs come from one increasing counter: a fake one at or below the real send's would show.
  const std::int64_t real_max = std::max(result_seq(real, 1), result_seq(real, 2));
  EXPECT_GT(result_seq(fake, 1), real_max) << fake.dump();
  EXPECT_GT(result_seq(fake, 2), real_max) << fake.dump();
  EXPECT_NE(result_seq(fake, 1), result_seq(fake, 2)) << fake.dump();

  // Nothing was delivered or stored, for either of bob's devices.
  EXPECT_EQ(receive_for(*bob1).envelopes, std::vector<json>());
  EXPECT_EQ(log_in_and_drain(d, *bob2), std::vector<json>());
  bob1.reset();
  EXPECT_EQ(log_in_and_drain(d, bob), std::vector<json>());

  // Unblocked, alice reaches bob again.
  bob1 = log_in_on_new_connection(d, bob);
  ASSERT_NE(bob1, nullptr);
  reply = about(*bob1, "blocks.remove", "@alice");
  EXPECT_EQ(reply.value("result", json()), json({{"removed", true}})) << reply.dump();
  const json after = send_request("@bob", random_ciphertexts({1, 2}));
  reply = sender->request(after);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  bob1.reset();
  for (const TestUser& device : {bob, *bob2}) {
    const auto received = log_in_and_drain(d, device);
    ASSERT_EQ(received.size(), 1u) << "device " << device.device_id;
    EXPECT_EQ(without_request_flag(received[0]),
              expected_envelope(alice, after, reply["result"], device.device_id));
  }
}

TEST(Contacts, ContactsOnlyAccountRefusesStrangersAndAcceptsItsContacts) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  TestUser carol("@carol");
  auto from_alice = register_and_log_in(d, alice);
  ASSERT_NE(from_alice, nullptr);
  auto from_carol = register_and_log_in(d, carol);
  ASSERT_NE(from_carol, nullptr);
  auto settings = register_and_log_in(d, bob);
  ASSERT_NE(settings, nullptr);

  auto reply = set_privacy(*settings, "contacts");
  EXPECT_EQ(reply.value("result", json()), json({{"who_can_message", "contacts"}})) << reply.dump();
  EXPECT_EQ(who_can_message(*settings), "contacts");

  reply = from_alice->request(send_request("@bob", random_ciphertexts({1})));
  EXPECT_EQ(error_code(reply), "not_allowed") << reply.dump();
  // A stranger learns nothing of the devices either: not_allowed comes before the list check.
  reply = from_alice->request(send_request("@bob", random_ciphertexts({1, 2})));
  EXPECT_EQ(error_code(reply), "not_allowed") << reply.dump();
  EXPECT_FALSE(reply.value("error", json::object()).contains("devices")) << reply.dump();
  // Being in carol's contacts does not put carol in bob's.
  ok(*from_carol, {{"type", "contacts.add"}, {"handle", "@bob"}});
  reply = from_carol->request(send_request("@bob", random_ciphertexts({1})));
  EXPECT_EQ(error_code(reply), "not_allowed") << reply.dump();

  ok(*settings, {{"type", "contacts.add"}, {"handle", "@alice"}});
  json from_contact;
  const json contact_result = send_one(*from_alice, "@bob", &from_contact);

  // Back to everyone: carol gets through, as a message request.
  reply = set_privacy(*settings, "everyone");
  EXPECT_EQ(reply.value("result", json()), json({{"who_can_message", "everyone"}})) << reply.dump();
  EXPECT_EQ(who_can_message(*settings), "everyone");
  json from_stranger;
  const json stranger_result = send_one(*from_carol, "@bob", &from_stranger);

  // Contacts only again, and alice no longer a contact: refused again.
  ok(*settings, {{"type", "contacts.remove"}, {"handle", "@alice"}});
  ok(*settings, {{"type", "privacy.set"}, {"who_can_message", "contacts"}});
  reply = from_alice->request(send_request("@bob", random_ciphertexts({1})));
  EXPECT_EQ(error_code(reply), "not_allowed") << reply.dump();

  settings.reset();
  const auto received = log_in_and_drain(d, bob);
  ASSERT_EQ(received.size(), 2u) << "only the two accepted sends";
  EXPECT_EQ(without_request_flag(received[0]),
            expected_envelope(alice, from_contact, contact_result, 1));
  EXPECT_FALSE(is_request(received[0])) << received[0].dump();
  EXPECT_EQ(without_request_flag(received[1]),
            expected_envelope(carol, from_stranger, stranger_result, 1));
  EXPECT_TRUE(is_request(received[1])) << received[1].dump();
}

TEST(Contacts, BlockedSenderIsNotAllowedByAContactsOnlyAccountUnlessAContact) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  auto settings = register_and_log_in(d, bob);
  ASSERT_NE(settings, nullptr);
  ok(*settings, {{"type", "privacy.set"}, {"who_can_message", "contacts"}});
  ok(*settings, {{"type", "blocks.add"}, {"handle", "@alice"}});

  // A blocked stranger is refused as any stranger is...
  auto reply = sender->request(send_request("@bob", random_ciphertexts({1})));
  EXPECT_EQ(error_code(reply), "not_allowed") << reply.dump();
  // ...and a blocked contact gets an ordinary-looking acceptance.
  ok(*settings, {{"type", "contacts.add"}, {"handle", "@alice"}});
  reply = sender->request(send_request("@bob", random_ciphertexts({1})));
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_GT(result_seq(reply.value("result", json()), 1), 0) << reply.dump();

  settings.reset();
  EXPECT_EQ(log_in_and_drain(d, bob), std::vector<json>());
}

TEST(Contacts, MessagesFromNonContactsAreRequestsUntilAccepted) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  auto settings = register_and_log_in(d, bob);
  ASSERT_NE(settings, nullptr);

  // The flag is decided when the send is accepted; what is queued keeps it.
  std::vector<json> requests(3);
  std::vector<json> results;
  results.push_back(send_one(*sender, "@bob", &requests[0]));
  ok(*settings, {{"type", "contacts.add"}, {"handle", "@alice"}});  // accepting the request
  results.push_back(send_one(*sender, "@bob", &requests[1]));
  ok(*settings, {{"type", "contacts.remove"}, {"handle", "@alice"}});
  results.push_back(send_one(*sender, "@bob", &requests[2]));

  settings.reset();
  const auto received = log_in_and_drain(d, bob);
  ASSERT_EQ(received.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(without_request_flag(received[i]),
              expected_envelope(alice, requests[i], results[i], 1))
        << "envelope " << i;
  }
  EXPECT_TRUE(is_request(received[0])) << "from a stranger: " << received[0].dump();
  EXPECT_FALSE(is_request(received[1])) << "from a contact: " << received[1].dump();
  EXPECT_TRUE(is_request(received[2])) << "from a removed contact: " << received[2].dump();
}

TEST(Contacts, BlockingAMessageRequestStopsOnlyItsSender) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  TestUser mallory("@mallory");
  auto from_alice = register_and_log_in(d, alice);
  ASSERT_NE(from_alice, nullptr);
  auto from_mallory = register_and_log_in(d, mallory);
  ASSERT_NE(from_mallory, nullptr);
  auto recipient = register_and_log_in(d, bob);
  ASSERT_NE(recipient, nullptr);

  send_one(*from_mallory, "@bob");
  Delivery request = receive_envelopes(*recipient, 1, Ack::kEach);
  ASSERT_EQ(request.problem, "");
  EXPECT_TRUE(is_request(request.envelopes[0])) << request.envelopes[0].dump();
  EXPECT_EQ(request.envelopes[0].value("from", ""), "@mallory");

  ok(*recipient, {{"type", "blocks.add"}, {"handle", "@mallory"}});
  EXPECT_GT(result_seq(send_one(*from_mallory, "@bob"), 1), 0);
  json from_stranger;
  const json result = send_one(*from_alice, "@bob", &from_stranger);
  // Only alice's arrives, still a message request.
  Delivery after = receive_envelopes(*recipient, 1, Ack::kEach);
  ASSERT_EQ(after.problem, "");
  EXPECT_EQ(without_request_flag(after.envelopes[0]),
            expected_envelope(alice, from_stranger, result, 1));
  EXPECT_TRUE(is_request(after.envelopes[0])) << after.envelopes[0].dump();
  EXPECT_EQ(receive_for(*recipient).envelopes, std::vector<json>());
  recipient.reset();
  EXPECT_EQ(log_in_and_drain(d, bob), std::vector<json>());
}

TEST(Contacts, ABlockedSendersOwnDevicesStillGetTheirSyncCopies) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  auto alice1 = register_and_log_in(d, alice);
  ASSERT_NE(alice1, nullptr);
  const auto alice2 = add_device(*alice1, alice, 2);
  ASSERT_TRUE(alice2.has_value());
  auto recipient = register_and_log_in(d, bob);
  ASSERT_NE(recipient, nullptr);
  ok(*recipient, {{"type", "blocks.add"}, {"handle", "@alice"}});

  // Were alice's other device left without its copy, she could tell she is blocked.
  const json request = send_request("@bob", random_ciphertexts({1}), random_ciphertexts({2}));
  auto reply = alice1->request(request);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  const auto synced = log_in_and_drain(d, *alice2);
  ASSERT_EQ(synced.size(), 1u);
  EXPECT_EQ(without_request_flag(synced[0]),
            expected_envelope(alice, request, reply["result"], 2, "sync"));
  EXPECT_EQ(receive_for(*recipient).envelopes, std::vector<json>());
}

TEST(Contacts, BlockingDeletesWhatTheBlockedSenderHadQueued) {
  Daemon d;
  TestUser alice("@alice");
  TestUser bob("@bob");
  TestUser mallory("@mallory");
  auto from_mallory = register_and_log_in(d, mallory);
  ASSERT_NE(from_mallory, nullptr);
  auto from_alice = register_and_log_in(d, alice);
  ASSERT_NE(from_alice, nullptr);
  auto recipient = register_and_log_in(d, bob);
  ASSERT_NE(recipient, nullptr);
  ASSERT_EQ(receive_until_queue_empty(*recipient, Ack::kNone).problem, "");
  recipient.reset();  // offline: what follows waits in the queue

  send_one(*from_mallory, "@bob");
  send_one(*from_mallory, "@bob");
  json from_stranger;
  const json result = send_one(*from_alice, "@bob", &from_stranger);
  recipient = log_in_on_new_connection(d, bob);
  ASSERT_NE(recipient, nullptr);
  ok(*recipient, {{"type", "blocks.add"}, {"handle", "@mallory"}});
  recipient.reset();

  const auto received = log_in_and_drain(d, bob);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(without_request_flag(received[0]), expected_envelope(alice, from_stranger, result, 1));
}

TEST(Contacts, PrivacyDefaultsToEveryoneRefusesOtherValuesAndSurvivesARestart) {
  Daemon d;
  TestUser bob("@bob");
  auto c = register_and_log_in(d, bob);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(who_can_message(*c), "everyone");
  for (const json& value : {json("nobody"), json("Contacts"), json(5), json()}) {
    auto reply = set_privacy(*c, value);
    EXPECT_EQ(error_code(reply), "bad_request") << value.dump() << ": " << reply.dump();
  }
  EXPECT_EQ(who_can_message(*c), "everyone");
  ok(*c, {{"type", "privacy.set"}, {"who_can_message", "contacts"}});

  c.reset();
  ASSERT_EQ(d.stop(SIGTERM), 0);
  d.start();
  c = log_in_on_new_connection(d, bob);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(who_can_message(*c), "contacts");
}

TEST(Contacts, AddingSpendsTheLookupBudgetAndCannotRevealSuspendedAccounts) {
  // contacts.add and blocks.add tell whether a handle exists, as user.lookup does: they
  // share its budget, and a suspended account is as absent as for user.lookup.
  Daemon d(Overrides{{"limits.lookups_per_account_per_minute", "3"}});
  TestUser alice("@alice");
  auto c = register_and_log_in(d, alice);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(register_offline(d, TestUser("@bob")));
  ASSERT_TRUE(register_offline(d, TestUser("@mallory")));
  ASSERT_EQ(d.admin({"account", "suspend", "@mallory"}), 0);

  auto reply = about(*c, "contacts.add", "@mallory");
  EXPECT_EQ(error_code(reply), "not_found") << reply.dump();
  reply = c->request({{"type", "user.lookup"}, {"handle", "@nobody"}});
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
  reply = about(*c, "blocks.add", "@bob");
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
  // Three spent, one of each kind: the fourth lookup of any kind waits.
  EXPECT_EQ(error_code(about(*c, "contacts.add", "@bob")), "rate_limited");
  EXPECT_EQ(error_code(c->request({{"type", "user.lookup"}, {"handle", "@bob"}})), "rate_limited");
}

TEST(Contacts, ASuspendedAccountCanStillBeTakenOffTheLists) {
  Daemon d;
  TestUser alice("@alice");
  auto c = register_and_log_in(d, alice);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(register_offline(d, TestUser("@bob")));
  ok(*c, {{"type", "contacts.add"}, {"handle", "@bob"}});
  ok(*c, {{"type", "blocks.add"}, {"handle", "@bob"}});
  ASSERT_EQ(d.admin({"account", "suspend", "@bob"}), 0);
  for (const char* type : {"contacts.remove", "blocks.remove"}) {
    auto reply = about(*c, type, "@bob");
    EXPECT_EQ(reply.value("result", json()), json({{"removed", true}})) << type << reply.dump();
  }
  EXPECT_EQ(listed(*c, "contacts.list", "contacts"), json::array());
  EXPECT_EQ(listed(*c, "blocks.list", "blocked"), json::array());
}

TEST(Contacts, RequestsNeedALogin) {
  Daemon d;
  TestUser alice("@alice");
  auto c = connect_or_fail(d);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(register_user(*c, alice).contains("result"));
  for (const json& request : {
           json{{"type", "contacts.add"}, {"handle", "@alice"}},
           json{{"type", "contacts.remove"}, {"handle", "@alice"}},
           json{{"type", "contacts.list"}},
           json{{"type", "blocks.add"}, {"handle", "@alice"}},
           json{{"type", "blocks.remove"}, {"handle", "@alice"}},
           json{{"type", "blocks.list"}},
           json{{"type", "privacy.set"}, {"who_can_message", "contacts"}},
       }) {
    EXPECT_EQ(error_code(c->request(request)), "unauthenticated") << request.dump();
  }
}

}  // namespace
}  // namespace xchat::testing
