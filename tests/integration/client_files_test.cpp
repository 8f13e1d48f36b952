// Encrypted file sharing through the client library, against a real xchatd: round trips of
// files of every size, uploads and downloads resumed after a cut connection (through a
// relay that cuts one), and the refusals of a file that was altered, truncated or vanished.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include "crypto/attachment_format.hpp"
#include "integration/support/cutting_relay.hpp"
#include "integration/support/daemon.hpp"
#include "integration/support/data_files.hpp"
#include "integration/support/messaging.hpp"
#include "integration/support/messengers.hpp"
#include "integration/support/sample_files.hpp"
#include "integration/support/self_signed_certificate.hpp"
#include "messenger/messenger.hpp"
#include "support/temp_dir.hpp"

namespace xchat::testing {
namespace {

namespace fs = std::filesystem;
using client::Event;
using client::FileAttachment;
using client::HistoryEntry;
using client::Messenger;
using client::PendingFile;

constexpr std::uint64_t kMiB = 1 << 20;

class ClientFilesTest : public ::testing::Test {
 protected:
  ClientFilesTest()
      : daemon_(Overrides{{"messages.min_expires_in_seconds", "1"}}),
        messengers_(daemon_, "xchat-files", [this] { return unix_now_ms() + skew_ms_.load(); }) {}

  // Account `name` as @name; through `relay` when given, else straight to the daemon.
  std::unique_ptr<Messenger> account(const std::string& name, const CuttingRelay* relay = nullptr) {
    if (relay == nullptr) return messengers_.init(name, "@" + name);
    auto m = Messenger::init(messengers_.options(name),
                             "ws://127.0.0.1:" + std::to_string(relay->port()) + "/v1/ws",
                             "@" + name, 1, "");
    EXPECT_TRUE(m) << (m ? "" : m.status().message());
    return m ? std::move(*m) : nullptr;
  }

  // `from` sends the file at `path` to @bob; bob receives the file message and returns it.
  std::optional<HistoryEntry> send_to_bob(Messenger& from, Messenger& bob, const std::string& path,
                                          std::optional<std::uint32_t> expires_in = std::nullopt) {
    auto sent = from.send_file("@bob", path, expires_in);
    EXPECT_TRUE(sent) << (sent ? "" : sent.status().message());
    if (!sent) return std::nullopt;
    const auto events = messengers_.until(bob, Event::Kind::kMessage);
    const auto it = std::find_if(events.begin(), events.end(),
                                 [](const Event& e) { return e.kind == Event::Kind::kMessage; });
    EXPECT_NE(it, events.end()) << "the file message never arrived";
    if (it == events.end()) return std::nullopt;
    EXPECT_TRUE(it->file);
    EXPECT_EQ(it->message_id, sent->message_id);
    auto stored = bob.file_message(sent->message_id);
    EXPECT_TRUE(stored) << "not in bob's store";
    return stored;
  }

  // Bob fetches `message`'s file to `name` in the files directory.
  Status fetch(Messenger& bob, const HistoryEntry& message, const std::string& name) {
    auto out = PendingFile::create(files_.file(name), false);
    if (!out) return out.status();
    if (Status s = bob.fetch_file(message, **out); !s) return s;
    return (*out)->commit();
  }

  // A 24 MiB file from Alice to Bob, whose upload (kUpstream: Alice reaches the daemon
  // through a relay) or download (kDownstream: Bob does) is cut once after 8 MiB: it
  // arrives whole, having been resumed rather than started over.
  void resumes_after_a_cut(CuttingRelay::Direction direction) {
    CuttingRelay relay(daemon_.port(), direction, 8 * kMiB);
    const bool upload = direction == CuttingRelay::Direction::kUpstream;
    auto alice = account("alice", upload ? &relay : nullptr);
    auto bob = account("bob", upload ? nullptr : &relay);
    ASSERT_NE(alice, nullptr);
    ASSERT_NE(bob, nullptr);
    write_sample_file(files_.file("sent.bin"), 24 * kMiB, 3);
    const auto message = send_to_bob(*alice, *bob, files_.file("sent.bin"));
    ASSERT_TRUE(message);
    ASSERT_TRUE(fetch(*bob, *message, "received.bin"));
    EXPECT_EQ(relay.cuts_made(), 1);
    // About one file's worth went through, not one and a third.
    EXPECT_LT(relay.bytes(direction), message->file->ciphertext_size + 2 * kMiB);
    EXPECT_EQ(file_digest(files_.file("received.bin")), file_digest(files_.file("sent.bin")));
  }

  // Bob fetches `message`'s file into the "in" directory, expecting a refusal: returns it,
  // having checked that nothing was left there, not even a temporary file.
  Status refused_fetch(Messenger& bob, const HistoryEntry& message) {
    fs::create_directories(files_.file("in"));
    Status fetched;
    {
      auto out = PendingFile::create(files_.file("in/" + message.file->name), false);
      if (!out) return out.status();
      fetched = bob.fetch_file(message, **out);
    }
    EXPECT_FALSE(fetched) << "the file was accepted";
    EXPECT_TRUE(received_files().empty()) << "no plaintext, not even a temporary file";
    return fetched;
  }

  // The file the daemon keeps for attachment `id`.
  std::string stored_ciphertext(const std::string& id) const {
    return daemon_.data_dir() + "/attachments/" + id;
  }

  // What the files directory holds, temporary files included.
  std::vector<std::string> received_files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(files_.file("in"))) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  std::atomic<std::int64_t> skew_ms_{0};  // added to every Messenger's clock
  Daemon daemon_;
  Messengers messengers_;
  TempDir files_{"xchat-files-data"};
};

TEST_F(ClientFilesTest, SmallEmptyAndOneChunkFilesArriveByteForByte) {
  auto alice = account("alice");
  auto bob = account("bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  for (const auto& [name, size] : std::vector<std::pair<std::string, std::uint64_t>>{
           {"note.txt", 1000},
           {"empty.bin", 0},
           {"one.png", client::kAttachmentChunkBytes},
           {"three.pdf", 3 * client::kAttachmentChunkBytes + 7}}) {
    SCOPED_TRACE(name);
    write_sample_file(files_.file(name), size, static_cast<std::uint32_t>(size));
    const auto message = send_to_bob(*alice, *bob, files_.file(name));
    ASSERT_TRUE(message);
    EXPECT_EQ(message->file->name, name);
    EXPECT_EQ(message->file->plaintext_size, size);
    EXPECT_EQ(message->file->ciphertext_size, client::attachment_ciphertext_size(size));
    ASSERT_TRUE(fetch(*bob, *message, "got-" + name)) << name;
    EXPECT_EQ(file_digest(files_.file("got-" + name)), file_digest(files_.file(name)));
  }
  const auto media = bob->history("@alice", 10);
  ASSERT_EQ(media.size(), 4u);
  EXPECT_EQ(media[0].file->media_type, "text/plain");
  EXPECT_EQ(media[2].file->media_type, "image/png");
  EXPECT_EQ(media[3].file->media_type, "application/pdf");
  EXPECT_EQ(media[1].file->media_type, "application/octet-stream");
  // The sender's history has the file messages too.
  const auto sent = alice->history("@bob", 10);
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[0].direction, HistoryEntry::Direction::kOut);
  ASSERT_TRUE(sent[0].file);
  EXPECT_EQ(sent[0].file->name, "note.txt");
}

TEST_F(ClientFilesTest, A200MiBFileArrivesByteForByte) {
  auto alice = account("alice");
  auto bob = account("bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  write_sample_file(files_.file("big.bin"), 200 * kMiB, 7);
  const auto message = send_to_bob(*alice, *bob, files_.file("big.bin"));
  ASSERT_TRUE(message);
  EXPECT_EQ(fs::file_size(stored_ciphertext(message->file->id)),
            client::attachment_ciphertext_size(200 * kMiB));
  ASSERT_TRUE(fetch(*bob, *message, "big-copy.bin"));
  EXPECT_EQ(file_digest(files_.file("big-copy.bin")), file_digest(files_.file("big.bin")));
}

TEST_F(ClientFilesTest, NoPlaintextReachesTheServersDisk) {
  auto alice = account("alice");
  auto bob = account("bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "TOP SECRET LINE " + std::to_string(i) + "\n";
  files_.write("secret-plans.txt", text);
  const auto message = send_to_bob(*alice, *bob, files_.file("secret-plans.txt"));
  ASSERT_TRUE(message);
  ASSERT_TRUE(fs::exists(stored_ciphertext(message->file->id)));
  EXPECT_TRUE(files_containing(daemon_.data_dir(), "TOP SECRET LINE 4999").empty());
  EXPECT_TRUE(files_containing(daemon_.data_dir(), text.substr(0, 4096)).empty());
  EXPECT_TRUE(files_containing(daemon_.data_dir(), "secret-plans").empty())
      << "the file's name travels inside the encryption";
  EXPECT_TRUE(files_containing(daemon_.data_dir(), message->file->key).empty());
}

TEST_F(ClientFilesTest, AnUploadCutMidwayResumesFromWhereTheServerStopped) {
  resumes_after_a_cut(CuttingRelay::Direction::kUpstream);
}

TEST_F(ClientFilesTest, ADownloadCutMidwayResumesWithARange) {
  resumes_after_a_cut(CuttingRelay::Direction::kDownstream);
}

TEST_F(ClientFilesTest, AnAlteredFileIsRefusedAndNothingIsSaved) {
  auto alice = account("alice");
  auto bob = account("bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  write_sample_file(files_.file("photo.jpg"), 300000, 5);
  const auto message = send_to_bob(*alice, *bob, files_.file("photo.jpg"));
  ASSERT_TRUE(message);
  {
    std::fstream f(stored_ciphertext(message->file->id),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(200000);
    char c = 0;
    f.get(c);
    f.seekp(200000);
    f.put(static_cast<char>(c ^ 0x20));
  }
  const Status fetched = refused_fetch(*bob, *message);
  EXPECT_EQ(fetched.code(), ErrorCode::kBadSignature);
  EXPECT_NE(fetched.message().find("failed verification"), std::string::npos) << fetched.message();
  EXPECT_NE(fetched.message().find("altered"), std::string::npos) << fetched.message();
}

TEST_F(ClientFilesTest, ATruncatedFileIsRefusedAndNothingIsSaved) {
  auto alice = account("alice");
  auto bob = account("bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  write_sample_file(files_.file("long.txt"), 5 * client::kAttachmentChunkBytes, 6);
  const auto message = send_to_bob(*alice, *bob, files_.file("long.txt"));
  ASSERT_TRUE(message);
  // The server's copy loses its final chunk, and the server believes the shorter size: it
  // serves the rest as if whole.
  const std::uint64_t shorter = message->file->ciphertext_size - 1000;
  fs::resize_file(stored_ciphertext(message->file->id), shorter);
  ASSERT_EQ(sql_execute(daemon_, "UPDATE attachments SET size = " + std::to_string(shorter) +
                                     " WHERE id = x'" + message->file->id + "'"),
            1);
  const Status fetched = refused_fetch(*bob, *message);
  EXPECT_EQ(fetched.code(), ErrorCode::kBadSignature);
  EXPECT_NE(fetched.message().find("truncated"), std::string::npos) << fetched.message();
}

TEST_F(ClientFilesTest, AFileCutShortOnTheServerFailsCleanly) {
  auto alice = account("alice");
  auto bob = account("bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  write_sample_file(files_.file("cut.bin"), 5 * client::kAttachmentChunkBytes, 8);
  const auto message = send_to_bob(*alice, *bob, files_.file("cut.bin"));
  ASSERT_TRUE(message);
  // Only the file shrinks: the server starts every answer and breaks off where it ends.
  fs::resize_file(stored_ciphertext(message->file->id), 2 * client::kAttachmentChunkBytes);
  const Status fetched = refused_fetch(*bob, *message);
  EXPECT_EQ(fetched.code(), ErrorCode::kUnavailable) << fetched.message();
  EXPECT_NE(fetched.message().find("the download stopped after"), std::string::npos)
      << fetched.message();
}

TEST_F(ClientFilesTest, AVanishingFileMessageTakesItsFileWithIt) {
  auto alice = account("alice");
  auto bob = account("bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  files_.write("brief.txt", "read this quickly");
  const auto message = send_to_bob(*alice, *bob, files_.file("brief.txt"), 2);
  ASSERT_TRUE(message);
  ASSERT_NE(message->expires_at, 0);
  ASSERT_TRUE(fs::exists(stored_ciphertext(message->file->id)));
  // The server deletes the file at the message's time; wait for it, bounded.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (fs::exists(stored_ciphertext(message->file->id)) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(fs::exists(stored_ciphertext(message->file->id)));
  EXPECT_FALSE(bob->file_message(message->message_id)) << "vanished here too";

  // A device whose clock is behind still shows the message; the server refuses the file.
  skew_ms_ = -60000;
  ASSERT_TRUE(bob->file_message(message->message_id));
  const Status fetched = refused_fetch(*bob, *message);
  EXPECT_EQ(fetched.code(), ErrorCode::kNotFound) << fetched.message();
}

// With native TLS the transfers go over https:// to the port of the wss:// URL, the
// certificate checked as the WebSocket's is.
TEST(ClientFilesTls, AFileTravelsOverTls) {
  SelfSignedCertificate certificate;
  Daemon daemon(certificate.config());
  TempDir dir("xchat-files-tls");
  const std::string url = "wss://localhost:" + std::to_string(daemon.port()) + "/v1/ws";
  auto account = [&](const std::string& name) -> std::unique_ptr<Messenger> {
    client::MessengerOptions o;
    o.home = dir.file(name);
    o.passphrase = "passphrase of " + name;
    o.connect.ca_file = certificate.cert();
    auto m = Messenger::init(o, url, "@" + name, 1, "");
    EXPECT_TRUE(m) << (m ? "" : m.status().message());
    return m ? std::move(*m) : nullptr;
  };
  auto alice = account("alice");
  auto bob = account("bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  write_sample_file(dir.file("tls.bin"), 3 * kMiB, 9);
  auto sent = alice->send_file("@bob", dir.file("tls.bin"));
  ASSERT_TRUE(sent) << sent.status().message();
  Messengers::until(*bob, Event::Kind::kMessage, 10);
  const auto message = bob->file_message(sent->message_id);
  ASSERT_TRUE(message);
  auto out = PendingFile::create(dir.file("tls-copy.bin"), false);
  ASSERT_TRUE(out);
  ASSERT_TRUE(bob->fetch_file(*message, **out));
  ASSERT_TRUE((*out)->commit());
  EXPECT_EQ(file_digest(dir.file("tls-copy.bin")), file_digest(dir.file("tls.bin")));
}

}  // namespace
}  // namespace xchat::testing
