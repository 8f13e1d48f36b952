// Encrypted file sharing through the xchat command line, against a real xchatd: send-file
// and get-file as a user runs them, what history and listen show, and the exit codes of a
// file that is refused.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "crypto/attachment_format.hpp"
#include "integration/support/data_files.hpp"
#include "integration/support/messaging.hpp"
#include "integration/support/sample_files.hpp"
#include "integration/support/xchat_cli.hpp"

namespace xchat::testing {
namespace {

namespace fs = std::filesystem;

class CliFilesTest : public CliFixture {
 protected:
  CliFilesTest() : CliFixture({{"messages.min_expires_in_seconds", "1"}}) {
    init("alice", "@alice");
    init("bob", "@bob");
    fs::create_directory(files_.file("in"));
  }

  // Alice sends the file `name` (in the files directory) to Bob, with `options` before the
  // handle; returns the message id it printed.
  std::string send_file(const std::string& name, const std::vector<std::string>& options = {}) {
    std::vector<std::string> args = {"--json", "send-file"};
    args.insert(args.end(), options.begin(), options.end());
    args.insert(args.end(), {"@bob", files_.file(name)});
    const CliRun sent = xchat("alice", args);
    EXPECT_EQ(sent.exit_code, 0) << sent.output;
    EXPECT_EQ(sent.output.find('\r'), std::string::npos) << "no progress bar off a terminal";
    return sent.objects().empty() ? "" : sent.objects().back().value("message_id", "");
  }

  // Bob's `get-file ARGS...` (with --json first when `json`), run in the "in" directory.
  CliRun get_file(const std::vector<std::string>& args, bool json = false) {
    std::vector<std::string> all = {"get-file"};
    if (json) all.insert(all.begin(), "--json");
    all.insert(all.end(), args.begin(), args.end());
    return xchat("bob", all, "", "", files_.file("in"));
  }

  // The one file the daemon keeps for an attachment.
  std::string stored_ciphertext() const {
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(daemon_.data_dir() + "/attachments")) {
      found.push_back(e.path());
    }
    EXPECT_EQ(found.size(), 1u);
    return found.empty() ? "" : found[0].string();
  }

  std::vector<std::string> received() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(files_.file("in"))) {
      names.push_back(e.path().filename().string());
    }
    return names;
  }

  TempDir files_{"xchat-cli-files"};
};

TEST_F(CliFilesTest, SmallEmptyAndLargeFilesRoundTrip) {
  write_sample_file(files_.file("small.txt"), 1000, 1);
  write_sample_file(files_.file("empty"), 0);
  write_sample_file(files_.file("large.bin"), 200 << 20, 2);

  // By default the file is saved under its own name, in the current directory.
  const std::string small = send_file("small.txt");
  const CliRun got = get_file({small});
  ASSERT_EQ(got.exit_code, 0) << got.output;
  EXPECT_NE(got.output.find("saved small.txt (1000 B) to small.txt"), std::string::npos)
      << got.output;
  EXPECT_EQ(file_digest(files_.file("in/small.txt")), file_digest(files_.file("small.txt")));

  // A directory: its name there. A path: that path.
  const CliRun empty = get_file({send_file("empty"), files_.file("in")}, true);
  ASSERT_EQ(empty.exit_code, 0) << empty.output;
  ASSERT_FALSE(empty.objects().empty()) << empty.output;
  EXPECT_EQ(empty.objects().back().value("path", ""), files_.file("in") + "/empty");
  EXPECT_EQ(empty.objects().back().value("size", -1), 0);
  EXPECT_EQ(fs::file_size(files_.file("in/empty")), 0u);

  const CliRun large = get_file({send_file("large.bin"), "copy.bin"});
  ASSERT_EQ(large.exit_code, 0) << large.output;
  EXPECT_EQ(large.output.find('\r'), std::string::npos) << "no progress bar off a terminal";
  EXPECT_EQ(file_digest(files_.file("in/copy.bin")), file_digest(files_.file("large.bin")));
}

TEST_F(CliFilesTest, ListenAndHistoryShowFileMessages) {
  files_.write("minutes.pdf", std::string(1500, 'm'));
  const std::string id = send_file("minutes.pdf");
  const CliRun listened = xchat("bob", {"listen", "--seconds", "1"});
  EXPECT_NE(listened.output.find(": [file] minutes.pdf (1.46 KiB)"), std::string::npos)
      << listened.output;
  EXPECT_NE(listened.output.find("xchat get-file " + id), std::string::npos) << listened.output;

  const CliRun bob = xchat("bob", {"history", "@alice"});
  EXPECT_NE(bob.output.find("@alice: [file] minutes.pdf (1.46 KiB)  [" + id + "]"),
            std::string::npos)
      << bob.output;
  const CliRun alice = xchat("alice", {"--json", "history", "@bob"});
  ASSERT_EQ(alice.objects().size(), 1u) << alice.output;
  const auto entry = alice.objects()[0];
  EXPECT_EQ(entry.value("message_id", ""), id);
  EXPECT_EQ(entry.value("direction", ""), "out");
  EXPECT_EQ(entry["file"].value("name", ""), "minutes.pdf");
  EXPECT_EQ(entry["file"].value("size", 0), 1500);
  EXPECT_EQ(entry["file"].value("media_type", ""), "application/pdf");
}

TEST_F(CliFilesTest, GetFileReplacesAFileOnlyWhenForced) {
  files_.write("report.txt", "the new report");
  const std::string id = send_file("report.txt");
  files_.write("in/report.txt", "an older report");
  const CliRun refused = get_file({id});
  EXPECT_EQ(refused.exit_code, 4) << refused.output;
  EXPECT_NE(refused.output.find("exists already"), std::string::npos) << refused.output;
  std::ifstream old(files_.file("in/report.txt"));
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(old), {}), "an older report");
  EXPECT_EQ(received().size(), 1u);

  ASSERT_EQ(get_file({"--force", id}).exit_code, 0);
  std::ifstream replaced(files_.file("in/report.txt"));
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(replaced), {}), "the new report");
}

TEST_F(CliFilesTest, AnAlteredFileFailsVerificationAndNothingIsSaved) {
  write_sample_file(files_.file("photo.jpg"), 200000, 3);
  const std::string id = send_file("photo.jpg");
  {
    std::fstream f(stored_ciphertext(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100000);
    f.put('\x55');
    f.seekp(100001);
    f.put('\xaa');
  }
  const CliRun got = get_file({id});
  EXPECT_EQ(got.exit_code, 5) << got.output;
  EXPECT_NE(got.output.find("the file failed verification"), std::string::npos) << got.output;
  EXPECT_NE(got.output.find("nothing was saved"), std::string::npos) << got.output;
  EXPECT_TRUE(received().empty()) << "no file, and no temporary file either";
}

TEST_F(CliFilesTest, ATruncatedFileFailsVerificationAndNothingIsSaved) {
  write_sample_file(files_.file("tape.bin"), 4 * client::kAttachmentChunkBytes, 4);
  const std::string id = send_file("tape.bin");
  // The final chunk is gone, and the server takes the shorter file for the whole one.
  const std::string stored = stored_ciphertext();
  const std::uint64_t shorter = fs::file_size(stored) - (client::kAttachmentChunkBytes + 17);
  fs::resize_file(stored, shorter);
  ASSERT_EQ(sql_execute(daemon_, "UPDATE attachments SET size = " + std::to_string(shorter)), 1);
  const CliRun got = get_file({id}, true);
  EXPECT_EQ(got.exit_code, 5) << got.output;
  ASSERT_FALSE(got.objects().empty()) << got.output;
  EXPECT_EQ(got.objects().back().value("error", ""), "bad_signature");
  EXPECT_NE(got.objects().back().value("message", "").find("truncated"), std::string::npos)
      << got.output;
  EXPECT_TRUE(received().empty());
}

TEST_F(CliFilesTest, AVanishedFileCannotBeFetched) {
  files_.write("fleeting.txt", "gone soon");
  // Long enough that the listen below comes first even in the slower sanitizer build.
  const CliRun sent =
      xchat("alice", {"send-file", "--vanish", "8s", "@bob", files_.file("fleeting.txt")});
  ASSERT_EQ(sent.exit_code, 0) << sent.output;
  EXPECT_NE(sent.output.find("sent fleeting.txt (9 B) to @bob"), std::string::npos) << sent.output;
  EXPECT_NE(sent.output.find("vanishes in"), std::string::npos) << sent.output;
  const CliRun listened = listen("bob", 1);
  ASSERT_EQ(listened.events("message").size(), 1u) << listened.output;
  const std::string id = listened.events("message")[0].value("message_id", "");
  const std::string stored = stored_ciphertext();

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (fs::exists(stored) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(fs::exists(stored)) << "the server deleted the file with the message";
  const CliRun got = get_file({id});
  EXPECT_EQ(got.exit_code, 4) << got.output;
  EXPECT_NE(got.output.find("no file message " + id), std::string::npos) << got.output;
  EXPECT_TRUE(received().empty());
}

TEST_F(CliFilesTest, MistakesAreUsageOrLocalErrors) {
  EXPECT_EQ(get_file({"not-an-id"}).exit_code, 1);
  EXPECT_EQ(get_file({"AAAAAAAAAAAAAAAAAAAAAA=="}).exit_code, 4);
  const CliRun missing = xchat("alice", {"send-file", "@bob", files_.file("nowhere.txt")});
  EXPECT_EQ(missing.exit_code, 4) << missing.output;
  EXPECT_NE(missing.output.find("no file to send"), std::string::npos) << missing.output;
  files_.write("to-me.txt", "x");
  const CliRun to_me = xchat("alice", {"send-file", "@alice", files_.file("to-me.txt")});
  EXPECT_EQ(to_me.exit_code, 2) << to_me.output;
  EXPECT_TRUE(fs::is_empty(daemon_.data_dir() + "/attachments")) << "refused before uploading";
  const CliRun vanish = xchat("alice", {"send-file", "--vanish", "soon", "@bob", files_.file("x")});
  EXPECT_EQ(vanish.exit_code, 1) << vanish.output;
}

}  // namespace
}  // namespace xchat::testing
