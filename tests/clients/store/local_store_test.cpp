#include "store/local_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "clients/crypto/test_parties.hpp"
#include "crypto/attachment_format.hpp"
#include "support/temp_dir.hpp"

namespace xchat::client {
namespace {

using ::xchat::testing::TempDir;

std::unique_ptr<LocalStore> open_store(const TempDir& dir, std::string_view passphrase = "pw") {
  auto store = LocalStore::open(dir.file("home"), passphrase);
  if (!store) {
    ADD_FAILURE() << store.status().message();
    return nullptr;
  }
  return std::move(*store);
}

// Everything on disk under `home`, concatenated: what someone who copies the files gets.
std::string files_of(const TempDir& dir) {
  std::string all;
  for (const char* name : {"xchat.db", "xchat.db-wal"}) {
    std::ifstream in(dir.file("home") + "/" + name, std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), {});
  }
  return all;
}

TEST(LocalStore, FilesArePrivate) {
  TempDir dir("xchat-client-store");
  auto store = open_store(dir);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put_secret("device_key", "s3cr3t"));
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("home").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const char* name : {"xchat.db", "xchat.db-wal"}) {
    ASSERT_EQ(::stat((dir.file("home") + "/" + name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
  }
}

TEST(LocalStore, SecretsAndHistoryAreSealedAndTheWrongPassphraseIsRefused) {
  TempDir dir("xchat-client-store");
  const std::string secret = "KEY-MATERIAL-0123456789abcdef";
  const std::string text = "meet me at the old mill at noon";
  {
    auto store = open_store(dir, "correct horse");
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->put_secret("device_key", secret));
    HistoryEntry e;
    e.peer = "@bob";
    e.direction = HistoryEntry::Direction::kOut;
    e.message_id = std::string(16, 'm');
    e.timestamp_ms = 1000;
    e.text = text;
    ASSERT_TRUE(store->add_history(e));
    EXPECT_EQ(store->secret("device_key"), secret);
  }
  const std::string disk = files_of(dir);
  EXPECT_EQ(disk.find(secret), std::string::npos);
  EXPECT_EQ(disk.find(text), std::string::npos);

  auto wrong = LocalStore::open(dir.file("home"), "battery staple");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.status().message(), "wrong passphrase");

  auto store = open_store(dir, "correct horse");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->secret("device_key"), secret);
  const auto history = store->history("@bob", 10, 0);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].text, text);
}

TEST(LocalStore, ASealedRecordMovedToAnotherRowDoesNotOpen) {
  TempDir dir("xchat-client-store");
  auto store = open_store(dir);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put_secret("a", "alpha"));
  ASSERT_TRUE(store->put_secret("b", "beta"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.file("home") + "/xchat.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db,
                   "UPDATE secrets SET sealed = (SELECT sealed FROM secrets WHERE name = 'a') "
                   "WHERE name = 'b'",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(store->secret("a"), "alpha");
  EXPECT_EQ(store->secret("b"), std::nullopt);
}

TEST(LocalStore, HistoryKeepsOrderAndStatesOnlyRise) {
  TempDir dir("xchat-client-store");
  auto store = open_store(dir);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 5; ++i) {
    HistoryEntry e;
    e.peer = "@bob";
    e.direction = HistoryEntry::Direction::kOut;
    e.message_id = std::string(15, 'x') + static_cast<char>('0' + i);
    e.timestamp_ms = i;
    e.text = "m" + std::to_string(i);
    ASSERT_TRUE(store->add_history(e));
  }
  const auto last3 = store->history("@bob", 3, 0);
  ASSERT_EQ(last3.size(), 3u);
  EXPECT_EQ(last3[0].text, "m2");
  EXPECT_EQ(last3[2].text, "m4");
  const std::string id = std::string(15, 'x') + '4';
  ASSERT_TRUE(store->mark(id, HistoryEntry::State::kRead));
  ASSERT_TRUE(store->mark(id, HistoryEntry::State::kDelivered));  // late: ignored
  EXPECT_EQ(store->history("@bob", 1, 0)[0].state, HistoryEntry::State::kRead);
  EXPECT_TRUE(store->history("@carol", 10, 0).empty());
}

HistoryEntry message(std::string_view id, std::int64_t expires_at, std::string text) {
  HistoryEntry e;
  e.peer = "@bob";
  e.direction = HistoryEntry::Direction::kIn;
  e.message_id = std::string(15, 'v') + std::string(id);
  e.timestamp_ms = 1000;
  e.text = std::move(text);
  e.state = HistoryEntry::State::kReceived;
  e.expires_at = expires_at;
  return e;
}

// The sealed bytes of every history row, straight from the file.
std::vector<std::string> sealed_rows(const TempDir& dir) {
  std::vector<std::string> out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open((dir.file("home") + "/xchat.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT sealed FROM history ORDER BY id", -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out.emplace_back(static_cast<const char*>(sqlite3_column_blob(stmt, 0)),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

TEST(LocalStore, AnExpiredMessageIsNeverReturnedAndThePurgeLeavesNoTraceInTheFiles) {
  TempDir dir("xchat-client-store");
  auto store = open_store(dir);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->add_history(message("1", 0, "stays")));
  ASSERT_TRUE(store->add_history(message("2", 5000, "vanishes at 5 s")));
  ASSERT_TRUE(store->add_history(message("3", 9000, "vanishes at 9 s")));
  EXPECT_EQ(store->next_expiry(), 5000);
  EXPECT_EQ(store->history("@bob", 10, 4999).size(), 3u);
  EXPECT_EQ(store->history("@bob", 10, 4999)[1].expires_at, 5000);
  const auto vanishing = sealed_rows(dir).at(1);

  // Past its time it is gone from history and lookups before any purge ran...
  const auto later = store->history("@bob", 10, 5000);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].text, "stays");
  EXPECT_EQ(later[1].text, "vanishes at 9 s");
  EXPECT_FALSE(store->message("@bob", message("2", 0, "").message_id, 5000));
  EXPECT_TRUE(store->message("@bob", message("2", 0, "").message_id, 4999));

  // ...and the purge deletes the row, with its sealed bytes, from both files.
  ASSERT_NE(files_of(dir).find(vanishing), std::string::npos);
  auto purged = store->purge_expired(5000);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ(sealed_rows(dir).size(), 2u);
  EXPECT_EQ(files_of(dir).find(vanishing), std::string::npos);
  EXPECT_EQ(store->next_expiry(), 9000);
  EXPECT_EQ(*store->purge_expired(5000), 0);
  EXPECT_EQ(*store->purge_expired(100000), 1);
  EXPECT_EQ(store->next_expiry(), std::nullopt);
  EXPECT_EQ(store->history("@bob", 10, 100000).size(), 1u);
}

TEST(LocalStore, RemovedAndEditedTextsLeaveNoTraceInTheFiles) {
  TempDir dir("xchat-client-store");
  auto store = open_store(dir);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->add_history(message("1", 0, "first")));
  ASSERT_TRUE(store->add_history(message("2", 0, "second")));
  const auto before = sealed_rows(dir);
  const auto first = store->message("@bob", message("1", 0, "").message_id, 0);
  ASSERT_TRUE(first);
  ASSERT_TRUE(store->replace_text(*first, "first, corrected"));
  ASSERT_TRUE(store->remove_message("@bob", message("2", 0, "").message_id));
  const auto now = store->history("@bob", 10, 0);
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].text, "first, corrected");
  EXPECT_TRUE(now[0].edited);
  const std::string disk = files_of(dir);
  for (const auto& sealed : before) EXPECT_EQ(disk.find(sealed), std::string::npos);
}

TEST(LocalStore, AFileMessageKeepsItsAttachmentSealedAndIsFoundByIdAlone) {
  TempDir dir("xchat-client-store");
  auto store = open_store(dir);
  ASSERT_NE(store, nullptr);
  FileAttachment f;
  f.id = "0f6c4b1e9a7d2c3b5e8f1a0d4c7b2e9f";
  f.key = "FILE-KEY-0123456789abcdefghijklm";
  f.digest = std::string(32, 'd');
  f.plaintext_size = 7;
  f.ciphertext_size = attachment_ciphertext_size(7);
  f.name = "secret-plans.txt";
  f.media_type = "text/plain";
  HistoryEntry e;
  e.peer = "@alice";
  e.message_id = std::string(16, 'f');
  e.timestamp_ms = 1000;
  e.file = f;
  e.expires_at = 5000;
  ASSERT_TRUE(store->add_history(e));
  HistoryEntry text = e;
  text.message_id = std::string(16, 't');
  text.file.reset();
  text.text = "just text";
  ASSERT_TRUE(store->add_history(text));

  const auto found = store->file_message(std::string(16, 'f'), 0);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->peer, "@alice");
  ASSERT_TRUE(found->file);
  EXPECT_EQ(found->file->key, f.key);
  EXPECT_EQ(found->file->name, "secret-plans.txt");
  EXPECT_FALSE(store->file_message(std::string(16, 't'), 0)) << "a text is not a file";
  EXPECT_FALSE(store->file_message(std::string(16, 'f'), 5000)) << "vanished";
  const auto history = store->history("@alice", 10, 0);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_TRUE(history[0].file);
  EXPECT_FALSE(history[1].file);

  const std::string disk = files_of(dir);
  EXPECT_EQ(disk.find(f.key), std::string::npos);
  EXPECT_EQ(disk.find(f.name), std::string::npos);
}

TEST(LocalStore, ConversationTimers) {
  TempDir dir("xchat-client-store");
  auto store = open_store(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->timer("@bob"), 0u);
  ASSERT_TRUE(store->set_timer("@bob", 3600));
  EXPECT_EQ(store->timer("@bob"), 3600u);
  EXPECT_EQ(store->timer("@carol"), 0u);
  ASSERT_TRUE(store->set_timer("@bob", 0));
  EXPECT_EQ(store->timer("@bob"), 0u);
}

TEST(LocalStore, SessionsAndPrekeysRoundTrip) {
  TempDir dir("xchat-client-store");
  auto store = open_store(dir);
  ASSERT_NE(store, nullptr);
  testing::TestDevice alice("alice", 1, 3), bob("bob", 2, 7);
  LocalDevice me{alice.party, alice.identity.secret_key, alice.certificate, nullptr, nullptr};
  auto session = Session::initiate(me, bob.bundle(true), testing::seeded_keys("s"));
  ASSERT_TRUE(std::holds_alternative<Session>(session));
  ASSERT_TRUE(store->put_session(std::get<Session>(session)));
  EXPECT_EQ(store->session_devices("@bob"), std::vector<std::uint32_t>({2}));
  auto loaded = store->session("@bob", 2, testing::seeded_keys("s2"));
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->serialize(), std::get<Session>(session).serialize());
  EXPECT_FALSE(store->session("@bob", 3, testing::seeded_keys("s2")));

  ASSERT_TRUE(store->put_one_time_prekey(5, std::string(32, 'k')));
  ASSERT_TRUE(store->put_one_time_prekey(9, std::string(32, 'l')));
  EXPECT_EQ(store->one_time_prekey_count(), 2);
  EXPECT_EQ(store->highest_one_time_prekey_id(), 9u);
  EXPECT_EQ(store->one_time_prekey(5), std::string(32, 'k'));
  ASSERT_TRUE(store->remove_one_time_prekey(5));
  EXPECT_FALSE(store->one_time_prekey(5));
}

}  // namespace
}  // namespace xchat::client
