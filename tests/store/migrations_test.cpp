#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace xchat {
namespace {

using store::Database;
using ::xchat::testing::TempDir;

// Names each test's scratch directory under /tmp.
constexpr const char* kDirPrefix = "xchat-migrations";

constexpr const char* kUserVersion = "PRAGMA user_version";
constexpr const char* kTableExists =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1";
constexpr const char* kV1InsertAccount =
    "INSERT INTO accounts (id, handle_key, handle, identity_key, created_at) "
    "VALUES (7, '@alice', '@Alice', randomblob(32), 1700000000)";
constexpr const char* kV1InsertDevice =
    "INSERT INTO devices (account_id, device_id, device_key, created_at) "
    "VALUES (7, 1, randomblob(32), 1700000001)";
constexpr const char* kReadAccount =
    "SELECT handle_key, handle, length(identity_key), created_at, suspended, "
    "subscription_until IS NULL FROM accounts WHERE id = 7";
constexpr const char* kReadDevice =
    "SELECT device_id, length(device_key), created_at FROM devices WHERE account_id = 7";
constexpr const char* kCountInvites = "SELECT count(*) FROM invites";
constexpr const char* kCountAdminLog = "SELECT count(*) FROM admin_log";
constexpr const char* kCountAccounts = "SELECT count(*) FROM accounts";
constexpr const char* kV2InsertAccount =
    "INSERT INTO accounts (id, handle_key, handle, identity_key, created_at, suspended, "
    "subscription_until) VALUES (9, '@bob', '@Bob', randomblob(32), 1700000100, 1, 1800000000)";
constexpr const char* kV2InsertDevice =
    "INSERT INTO devices (account_id, device_id, device_key, created_at) "
    "VALUES (9, 3, randomblob(32), 1700000101)";
constexpr const char* kV2InsertInvite =
    "INSERT INTO invites (code, created_at, expires_at, used_by, used_at) "
    "VALUES ('ABCDE', 1700000000, NULL, 9, 1700000100)";
constexpr const char* kV2InsertAdminLog =
    "INSERT INTO admin_log (at, action, target, detail) "
    "VALUES (1700000200, 'account.suspend', '@bob', '')";
constexpr const char* kReadV2Account =
    "SELECT handle, suspended, subscription_until FROM accounts WHERE id = 9";
constexpr const char* kReadInvite = "SELECT used_by FROM invites WHERE code = 'ABCDE'";
constexpr const char* kCountDeviceKeys = "SELECT count(*) FROM device_keys";
constexpr const char* kCountOneTimePrekeys = "SELECT count(*) FROM one_time_prekeys";
constexpr const char* kV3InsertAccount =
    "INSERT INTO accounts (id, handle_key, handle, identity_key, created_at) "
    "VALUES (11, '@carol', '@Carol', randomblob(32), 1700000300)";
constexpr const char* kV3InsertDevice =
    "INSERT INTO devices (account_id, device_id, device_key, created_at) "
    "VALUES (11, 2, randomblob(32), 1700000301)";
constexpr const char* kV3InsertDeviceKeys =
    "INSERT INTO device_keys (account_id, device_id, identity_dh_key, signed_prekey_id, "
    "signed_prekey, signed_prekey_signature, updated_at) "
    "VALUES (11, 2, randomblob(32), 5, randomblob(32), randomblob(64), 1700000302)";
constexpr const char* kV3InsertPrekey =
    "INSERT INTO one_time_prekeys (account_id, device_id, key_id, public_key) "
    "VALUES (11, 2, 1, randomblob(32))";
constexpr const char* kReadV4Defaults =
    "SELECT a.who_can_message, d.queued FROM accounts a JOIN devices d ON d.account_id = a.id "
    "WHERE a.id = 11";
constexpr const char* kReadEnvelopeSeq = "SELECT value FROM counters WHERE name = 'envelope_seq'";
constexpr const char* kCountEnvelopes = "SELECT count(*) FROM envelopes";
constexpr const char* kV4InsertAccount =
    "INSERT INTO accounts (id, handle_key, handle, identity_key, created_at) "
    "VALUES (13, '@dave', '@Dave', randomblob(32), 1700000400)";
constexpr const char* kV4InsertDevice =
    "INSERT INTO devices (account_id, device_id, device_key, created_at) "
    "VALUES (13, 1, randomblob(32), 1700000401)";
constexpr const char* kV4InsertEnvelope =
    "INSERT INTO envelopes (seq, account_id, device_id, sender_id, sender_handle, sender_device, "
    "message_id, accepted_at, flags, ciphertext) "
    "VALUES (5, 13, 1, 13, '@Dave', 1, randomblob(16), 1700000402000, 0, randomblob(40))";
constexpr const char* kV4InsertSend =
    "INSERT INTO sends (sender_id, sender_device, message_id, recipient_id, accepted_at, result) "
    "VALUES (13, 1, randomblob(16), 11, 1700000402000, '{}')";
constexpr const char* kReadV5Envelope =
    "SELECT seq, expires_at IS NULL, refers_to IS NULL FROM envelopes WHERE account_id = 13";
constexpr const char* kReadV5Send =
    "SELECT kind, refers_to IS NULL, expires_at IS NULL, retracted FROM sends WHERE sender_id = 13";

std::unique_ptr<Database> open_db(const std::string& path) {
  Database::Options options;
  options.path = path;
  options.synchronous = "NORMAL";
  auto db = Database::open(options);
  if (!db) ADD_FAILURE() << db.status().message();
  return db ? std::move(*db) : nullptr;
}

std::int64_t user_version(Database& db) {
  auto v = db.scalar(kUserVersion);
  EXPECT_TRUE(v) << v.status().message();
  return v ? *v : -1;
}

bool table_exists(Database& db, const char* name) {
  auto q = db.query(kTableExists);
  q.bind_text(1, name);
  return q.step() && q.column_int(0) == 1;
}

std::int64_t count(Database& db, const char* sql) {
  auto n = db.scalar(sql);
  EXPECT_TRUE(n) << n.status().message();
  return n ? *n : -1;
}

void expect_latest_schema(Database& db) {
  EXPECT_EQ(user_version(db), static_cast<std::int64_t>(store::migrations().size()));
  for (const char* table :
       {"accounts", "devices", "invites", "admin_log", "device_keys", "one_time_prekeys",
        "counters", "envelopes", "sends", "contacts", "blocks"}) {
    EXPECT_TRUE(table_exists(db, table)) << table;
  }
}

// Rows valid at each schema version (index = version), and the check that they survived
// the upgrade to the latest version with the new columns at their defaults. A new
// migration needs a new entry here: the upgrade from the version before it must be tested.
struct VersionFixture {
  std::function<void(Database&)> seed;
  std::function<void(Database&)> verify;
};

const std::vector<VersionFixture>& fixtures() {
  static const std::vector<VersionFixture> all = {
      // Version 0: an empty file has no tables to fill.
      {[](Database&) {}, [](Database& db) { EXPECT_EQ(count(db, kCountAccounts), 0); }},
      // Version 1: accounts and devices, before subscriptions, invites and the admin log.
      {[](Database& db) {
         ASSERT_TRUE(db.exec(kV1InsertAccount));
         ASSERT_TRUE(db.exec(kV1InsertDevice));
       },
       [](Database& db) {
         auto a = db.query(kReadAccount);
         ASSERT_TRUE(a.step()) << a.status().message();
         EXPECT_EQ(a.column_text(0), "@alice");
         EXPECT_EQ(a.column_text(1), "@Alice");
         EXPECT_EQ(a.column_int(2), 32);
         EXPECT_EQ(a.column_int(3), 1700000000);
         EXPECT_EQ(a.column_int(4), 0);  // suspended
         EXPECT_EQ(a.column_int(5), 1);  // subscription_until added as NULL: none
         auto d = db.query(kReadDevice);
         ASSERT_TRUE(d.step()) << d.status().message();
         EXPECT_EQ(d.column_int(0), 1);
         EXPECT_EQ(d.column_int(1), 32);
         EXPECT_EQ(d.column_int(2), 1700000001);
         EXPECT_EQ(count(db, kCountInvites), 0);
         EXPECT_EQ(count(db, kCountAdminLog), 0);
       }},
      // Version 2: access policy (subscriptions, invites, admin log), before the key
      // directory.
      {[](Database& db) {
         ASSERT_TRUE(db.exec(kV2InsertAccount));
         ASSERT_TRUE(db.exec(kV2InsertDevice));
         ASSERT_TRUE(db.exec(kV2InsertInvite));
         ASSERT_TRUE(db.exec(kV2InsertAdminLog));
       },
       [](Database& db) {
         auto a = db.query(kReadV2Account);
         ASSERT_TRUE(a.step()) << a.status().message();
         EXPECT_EQ(a.column_text(0), "@Bob");
         EXPECT_EQ(a.column_int(1), 1);
         EXPECT_EQ(a.column_int(2), 1800000000);
         auto i = db.query(kReadInvite);
         ASSERT_TRUE(i.step()) << i.status().message();
         EXPECT_EQ(i.column_int(0), 9);
         EXPECT_EQ(count(db, kCountAdminLog), 1);
         EXPECT_EQ(count(db, kCountDeviceKeys), 0);
         EXPECT_EQ(count(db, kCountOneTimePrekeys), 0);
       }},
      // Version 3: the key directory, before envelopes, contacts and blocks.
      {[](Database& db) {
         ASSERT_TRUE(db.exec(kV3InsertAccount));
         ASSERT_TRUE(db.exec(kV3InsertDevice));
         ASSERT_TRUE(db.exec(kV3InsertDeviceKeys));
         ASSERT_TRUE(db.exec(kV3InsertPrekey));
       },
       [](Database& db) {
         EXPECT_EQ(count(db, kCountDeviceKeys), 1);
         EXPECT_EQ(count(db, kCountOneTimePrekeys), 1);
         auto a = db.query(kReadV4Defaults);
         ASSERT_TRUE(a.step()) << a.status().message();
         EXPECT_EQ(a.column_text(0), "everyone");
         EXPECT_EQ(a.column_int(1), 0);  // queued
         EXPECT_EQ(count(db, kReadEnvelopeSeq), 0);
         EXPECT_EQ(count(db, kCountEnvelopes), 0);
       }},
      // Version 4: messaging, before vanishing messages, unsend and edit.
      {[](Database& db) {
         ASSERT_TRUE(db.exec(kV4InsertAccount));
         ASSERT_TRUE(db.exec(kV4InsertDevice));
         ASSERT_TRUE(db.exec(kV4InsertEnvelope));
         ASSERT_TRUE(db.exec(kV4InsertSend));
       },
       [](Database& db) {
         auto e = db.query(kReadV5Envelope);
         ASSERT_TRUE(e.step()) << e.status().message();
         EXPECT_EQ(e.column_int(0), 5);
         EXPECT_EQ(e.column_int(1), 1);  // never expires
         EXPECT_EQ(e.column_int(2), 1);  // refers to nothing
         auto s = db.query(kReadV5Send);
         ASSERT_TRUE(s.step()) << s.status().message();
         EXPECT_EQ(s.column_int(0), 0);  // an ordinary message
         EXPECT_EQ(s.column_int(1), 1);
         EXPECT_EQ(s.column_int(2), 1);
         EXPECT_EQ(s.column_int(3), 0);  // not unsent
       }},
      // Version 5: vanishing messages, before attachments. Attachments add only new tables,
      // so what was there stays as it was, and the account holds none.
      {[](Database& db) {
         ASSERT_TRUE(db.exec(kV4InsertAccount));
         ASSERT_TRUE(db.exec(kV4InsertDevice));
         ASSERT_TRUE(db.exec(kV4InsertEnvelope));
       },
       [](Database& db) {
         EXPECT_EQ(count(db, kCountEnvelopes), 1);
         EXPECT_EQ(count(db, "SELECT count(*) FROM attachments"), 0);
         EXPECT_EQ(count(db, "SELECT count(*) FROM attachment_grants"), 0);
       }},
  };
  return all;
}

TEST(Migrations, EveryEarlierVersionHasAnUpgradeFixture) {
  EXPECT_EQ(fixtures().size(), store::migrations().size());
}

TEST(Migrations, EmptyFileToLatest) {
  TempDir dir(kDirPrefix);
  auto db = open_db(dir.file("x.db"));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(user_version(*db), 0);
  ASSERT_TRUE(store::migrate(*db));
  expect_latest_schema(*db);
}

TEST(Migrations, FromEachEarlierVersionKeepsRows) {
  const auto latest = static_cast<std::int64_t>(store::migrations().size());
  for (std::int64_t v = 0; v < latest && v < static_cast<std::int64_t>(fixtures().size()); ++v) {
    SCOPED_TRACE("from schema version " + std::to_string(v));
    TempDir dir(kDirPrefix);
    auto db = open_db(dir.file("x.db"));
    ASSERT_NE(db, nullptr);
    Status to_v = store::migrate(*db, v);
    ASSERT_TRUE(to_v) << to_v.message();
    ASSERT_EQ(user_version(*db), v);
    const auto& fixture = fixtures()[static_cast<std::size_t>(v)];
    fixture.seed(*db);
    // Reopen, as an upgrade happens in a new process.
    db.reset();
    db = open_db(dir.file("x.db"));
    ASSERT_NE(db, nullptr);
    Status up = store::migrate(*db);
    ASSERT_TRUE(up) << up.message();
    expect_latest_schema(*db);
    fixture.verify(*db);
  }
}

TEST(Migrations, ReRunIsANoOp) {
  TempDir dir(kDirPrefix);
  auto db = open_db(dir.file("x.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(store::migrate(*db, 1));
  fixtures()[1].seed(*db);
  ASSERT_TRUE(store::migrate(*db));
  Status again = store::migrate(*db);
  ASSERT_TRUE(again) << again.message();
  expect_latest_schema(*db);
  fixtures()[1].verify(*db);
  EXPECT_EQ(count(*db, kCountAccounts), 1);
}

TEST(Migrations, NewerSchemaIsRefused) {
  TempDir dir(kDirPrefix);
  const std::string path = dir.file("x.db");
  auto db = open_db(path);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->exec("PRAGMA user_version=99"));
  Status s = store::migrate(*db);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), path + ": schema version 99 is newer than this xchatd knows (" +
                             std::to_string(store::migrations().size()) + "); refusing to open it");
  EXPECT_EQ(user_version(*db), 99);  // left untouched
}

TEST(Migrations, StoreOpenMigratesAFreshDirectory) {
  TempDir dir(kDirPrefix);
  store::Store::Options options;
  options.data_dir = dir.file("data/nested");
  auto opened = store::Store::open(options, nullptr);
  ASSERT_TRUE(opened) << opened.status().message();
  (*opened)->close();
  opened = store::Store::open(options, nullptr);  // a restart on the same data
  ASSERT_TRUE(opened) << opened.status().message();
  auto reader = (*opened)->readers().acquire();
  ASSERT_TRUE(reader) << reader.status().message();
  expect_latest_schema(**reader);
  EXPECT_EQ(std::filesystem::status(options.data_dir).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
}

TEST(Migrations, StoreOpenRefusesANewerSchema) {
  TempDir dir(kDirPrefix);
  {
    auto db = open_db(store::Store::database_path(dir.path()));
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->exec("PRAGMA user_version=99"));
  }
  store::Store::Options options;
  options.data_dir = dir.path();
  auto opened = store::Store::open(options, nullptr);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.status().message().find("schema version 99 is newer"), std::string::npos)
      << opened.status().message();
}

TEST(Migrations, StoreOpenRefusesAGarbageFile) {
  TempDir dir(kDirPrefix);
  {
    std::ofstream out(store::Store::database_path(dir.path()), std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>((i * 131 + 7) & 0xff));
  }
  store::Store::Options options;
  options.data_dir = dir.path();
  auto opened = store::Store::open(options, nullptr);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.status().message(),
            store::Store::database_path(dir.path()) + ": sqlite: file is not a database");
}

// A database closed cleanly, then damaged on disk: the second half of its file overwritten.
// Returns its path.
std::string damaged_database(const TempDir& dir) {
  const std::string path = store::Store::database_path(dir.path());
  {
    store::Store::Options options;
    options.data_dir = dir.path();
    auto opened = store::Store::open(options, nullptr);
    if (!opened) {
      ADD_FAILURE() << opened.status().message();
      return path;
    }
    Status filled = (*opened)->writer().run([](Database& db) -> Status {
      for (int i = 0; i < 800; ++i) {
        const std::string sql = "INSERT INTO admin_log (at, action, target, detail) VALUES (" +
                                std::to_string(i) + ", 'test', 'target', '" +
                                std::string(200, 'x') + "')";
        if (Status s = db.exec(sql.c_str()); !s) return s;
      }
      return Status::ok();
    });
    EXPECT_TRUE(filled) << filled.message();
  }  // the last connection closing checkpoints the WAL into the main file
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  const auto size = std::filesystem::file_size(path);
  EXPECT_GT(size, 32 * 4096u);
  {
    // The schema lives in the first pages, created before any row; the admin_log rows
    // fill the pages after them. Overwrite the second half of the file.
    const std::uintmax_t from = size / 2 / 4096 * 4096;
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(from));
    for (std::uintmax_t i = from; i < size; ++i) f.put(static_cast<char>((i * 37 + 11) & 0xff));
  }
  return path;
}

TEST(Migrations, StoreOpenRefusesADamagedDatabase) {
  TempDir dir(kDirPrefix);
  const std::string path = damaged_database(dir);
  store::Store::Options options;
  options.data_dir = dir.path();
  auto opened = store::Store::open(options, nullptr);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.status().message().rfind(path + ": PRAGMA quick_check failed: ", 0), 0u)
      << opened.status().message();
}

// After a clean shutdown the daemon opens at once and checks while it serves.
TEST(Migrations, ADeferredCheckFindsTheDamageLater) {
  TempDir dir(kDirPrefix);
  const std::string path = damaged_database(dir);
  store::Store::Options options;
  options.data_dir = dir.path();
  options.check = store::Store::Check::kDeferredUnlessUnclean;
  auto opened = store::Store::open(options, nullptr);
  ASSERT_TRUE(opened) << opened.status().message();
  const Status checked = (*opened)->check_integrity();
  EXPECT_FALSE(checked);
  EXPECT_EQ(checked.message().rfind(path + ": PRAGMA quick_check failed: ", 0), 0u)
      << checked.message();
}

TEST(Migrations, ADeferredCheckPassesASoundDatabase) {
  TempDir dir(kDirPrefix);
  store::Store::Options options;
  options.data_dir = dir.path();
  options.check = store::Store::Check::kDeferredUnlessUnclean;
  for (int run = 0; run < 2; ++run) {  // created, then reopened after a clean shutdown
    auto opened = store::Store::open(options, nullptr);
    ASSERT_TRUE(opened) << opened.status().message();
    const Status checked = (*opened)->check_integrity();
    EXPECT_TRUE(checked) << checked.message();
  }
}

}  // namespace
}  // namespace xchat
