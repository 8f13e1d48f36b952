// A data directory that fills up: xchatd refuses new writes with storage_full (HTTP 507
// for uploads) and keeps the connection, goes on delivering what it holds and taking
// acknowledgements, starts again on the full disk, and accepts writes once space returns,
// without a restart. Nothing accepted before is lost.
//
// The disk is a small tmpfs mounted for the test (needs CAP_SYS_ADMIN; skipped without it),
// where the free-space reserve refuses writes before the disk is really full.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/http_client.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/messaging.hpp"
#include "integration/support/ws_client.hpp"
#include "support/temp_dir.hpp"
#include "xchat/base64.hpp"

namespace xchat::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr std::int64_t kMiB = std::int64_t{1} << 20;
constexpr std::int64_t kFilesystemBytes = 32 * kMiB;
constexpr std::int64_t kReserveBytes = 8 * kMiB;
// Bounds every loop that sends until the server refuses.
constexpr int kMaxSends = 2000;

// A tmpfs of `bytes` mounted on a fresh directory for one test; unmounted by the
// destructor, whatever happened (lazily, should something still hold it).
class SmallFilesystem {
 public:
  explicit SmallFilesystem(std::int64_t bytes) {
    const std::string options = std::string("size=") + std::to_string(bytes) + ",mode=0700";
    if (::mount("xchat-test", dir_.path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                options.c_str()) == 0) {
      mounted_ = true;
    } else {
      refusal_ = std::string("mount -t tmpfs: ") + std::strerror(errno);
    }
  }
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;
  ~SmallFilesystem() {
    if (mounted_ && ::umount2(dir_.path().c_str(), 0) != 0) {
      ::umount2(dir_.path().c_str(), MNT_DETACH);
    }
  }

  bool mounted() const { return mounted_; }
  const std::string& refusal() const { return refusal_; }
  std::string path(const std::string& name) const { return dir_.file(name); }

  std::int64_t available() const {
    struct statvfs st {};
    if (::statvfs(dir_.path().c_str(), &st) != 0) return -1;
    return static_cast<std::int64_t>(st.f_bavail) * static_cast<std::int64_t>(st.f_frsize);
  }

  // Writes a file of zeros until at most `leave` bytes stay available.
  void fill_leaving(std::int64_t leave) {
    std::ofstream out(path("filler"), std::ios::binary | std::ios::app);
    const std::string chunk(kMiB / 4, '\0');
    while (available() > leave + static_cast<std::int64_t>(chunk.size()) && out) {
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      out.flush();
    }
  }
  void free_filler() { fs::remove(path("filler")); }

 private:
  TempDir dir_{"xchat-small-fs"};
  bool mounted_ = false;
  std::string refusal_;
};

HttpHeaders bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::string upload_token(WsClient& c) {
  auto reply = c.request({{"type", "attachment.upload_token"}});
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
  return reply.contains("result") ? reply["result"].value("token", "") : "";
}

HttpReply create_attachment(const HttpClient& http, const std::string& token, std::int64_t size) {
  return http.request(
      "POST", "/v1/attachments",
      {{"Authorization", "Bearer " + token}, {"Upload-Length", std::to_string(size)}});
}

HttpReply upload_zeros(const HttpClient& http, const std::string& token, const std::string& id,
                       std::int64_t from, std::int64_t to) {
  HttpHeaders headers = bearer(token);
  headers.emplace_back("Upload-Offset", std::to_string(from));
  return http.upload(
      "/v1/attachments/" + id, headers,
      [](std::int64_t, char* out, std::size_t n) { std::memset(out, 0, n); }, from, to);
}

// Sends to `to` until the server refuses, at most kMaxSends times, `pause` apart; the
// refusal (null when every send was accepted). The ciphertexts of accepted sends go to
// `accepted`.
json send_until_refused(WsClient& c, const std::string& to, std::size_t bytes,
                        std::vector<std::string>& accepted, std::chrono::milliseconds pause = 0ms) {
  for (int i = 0; i < kMaxSends; ++i) {
    const Ciphertexts ciphertexts = random_ciphertexts({1}, bytes);
    json reply = c.request(send_request(to, ciphertexts));
    if (!reply.contains("result")) return reply;
    accepted.push_back(ciphertexts.at(1));
    std::this_thread::sleep_for(pause);
  }
  return json();
}

// Sends the same way until one is accepted: space has returned. The last refusal when none
// was, within about 10 s.
json send_until_accepted(WsClient& c, const std::string& to, std::vector<std::string>& accepted) {
  json reply;
  for (int i = 0; i < 100; ++i) {
    const Ciphertexts ciphertexts = random_ciphertexts({1});
    reply = c.request(send_request(to, ciphertexts));
    if (reply.contains("result")) {
      accepted.push_back(ciphertexts.at(1));
      return reply;
    }
    std::this_thread::sleep_for(100ms);
  }
  return reply;
}

// The ciphertexts of `envelopes`, decoded, in order.
std::vector<std::string> ciphertexts_of(const std::vector<json>& envelopes) {
  std::vector<std::string> out;
  for (const auto& e : envelopes) {
    auto raw = base64_decode(e.value("ciphertext", ""));
    out.push_back(raw ? *raw : "");
  }
  return out;
}

TEST(StorageFull, UnderTheReserveWritesAreRefusedDeliveriesGoOnAndSpaceReturningHeals) {
  SmallFilesystem small(kFilesystemBytes);
  if (!small.mounted()) {
    GTEST_SKIP() << small.refusal() << ": mounting a small filesystem is not permitted here";
  }
  Daemon d({{"server.data_dir", std::string("\"") + small.path("data") + "\""},
            {"storage.min_free_bytes", std::to_string(kReserveBytes)},
            {"limits.sends_per_account_per_minute", "1000000"}});
  const HttpClient http(d.port());
  TestUser alice("@alice");
  TestUser bob("@bob");
  ASSERT_TRUE(register_offline(d, bob));
  auto sender = register_and_log_in(d, alice);
  ASSERT_NE(sender, nullptr);
  std::vector<std::string> accepted;
  for (int i = 0; i < 5; ++i) {
    const Ciphertexts c = random_ciphertexts({1});
    ASSERT_TRUE(sender->request(send_request("@bob", c)).contains("result"));
    accepted.push_back(c.at(1));
  }
  const std::string token = upload_token(*sender);
  const HttpReply created = create_attachment(http, token, 4 * kMiB);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string attachment = created.json().value("id", "");
  ASSERT_EQ(upload_zeros(http, token, attachment, 0, kMiB).status, 204);
  EXPECT_EQ(metric_value(d, "xchatd_storage_full"), 0);

  small.fill_leaving(kReserveBytes / 2);
  ASSERT_LT(small.available(), kReserveBytes);
  // The server looks at the disk at most every half second; sends until then are stored
  // (slowly: the reserve, not the last bytes of the disk, is what must refuse them).
  const json refused = send_until_refused(*sender, "@bob", 48, accepted, 20ms);
  EXPECT_EQ(error_code(refused), "storage_full") << refused.dump();
  EXPECT_NE(refused["error"].value("message", "").find("storage is full"), std::string::npos);
  EXPECT_TRUE(pings(*sender)) << "the refusal closed the connection";
  EXPECT_EQ(metric_value(d, "xchatd_storage_full"), 1);
  EXPECT_TRUE(eventually([&] { return d.log().find("storage full:") != std::string::npos; }));

  // Uploads: a new one, and more bytes for the one begun before.
  const HttpReply create_refused = create_attachment(http, token, kMiB);
  EXPECT_EQ(create_refused.status, 507) << create_refused.body;
  EXPECT_EQ(create_refused.error_code(), "storage_full");
  // A small body: the server answers before reading the rest of a large one, and closing
  // on unread bytes would reset the connection under the reply.
  const HttpReply patch_refused = upload_zeros(http, token, attachment, kMiB, kMiB + 1024);
  EXPECT_EQ(patch_refused.status, 507) << patch_refused.body;
  EXPECT_EQ(patch_refused.error_code(), "storage_full");
  EXPECT_EQ(patch_refused.json().value("offset", -1), kMiB) << patch_refused.body;
  // Registrations too; the connection stays.
  auto newcomer = connect_or_fail(d);
  ASSERT_NE(newcomer, nullptr);
  EXPECT_EQ(error_code(register_user(*newcomer, TestUser("@carol"))), "storage_full");
  EXPECT_TRUE(pings(*newcomer));

  // Bob gets everything accepted before, and his acknowledgements delete it.
  EXPECT_EQ(ciphertexts_of(log_in_and_drain(d, bob)), accepted);
  EXPECT_EQ(log_in_and_drain(d, bob), std::vector<json>()) << "the acks were not committed";

  // A restart on the full disk comes up, and still refuses.
  sender.reset();
  ASSERT_EQ(d.stop(), 0) << d.log();
  const std::size_t mark = d.log().size();
  d.start();
  EXPECT_NE(d.log().find("storage full:", mark), std::string::npos) << d.log().substr(mark);
  sender = log_in_on_new_connection(d, alice);
  ASSERT_NE(sender, nullptr);
  std::vector<std::string> none;
  EXPECT_EQ(error_code(send_until_refused(*sender, "@bob", 48, none)), "storage_full");
  EXPECT_EQ(none, std::vector<std::string>());

  // Space returns: writes are accepted again by the running server.
  small.free_filler();
  std::vector<std::string> later;
  const json again = send_until_accepted(*sender, "@bob", later);
  EXPECT_TRUE(again.contains("result")) << again.dump();
  EXPECT_EQ(metric_value(d, "xchatd_storage_full"), 0);
  EXPECT_TRUE(
      eventually([&] { return d.log().find("storage has room again") != std::string::npos; }));
  // Transfer tokens do not outlive a restart.
  // The restarted server listens on another port.
  EXPECT_EQ(
      upload_zeros(HttpClient(d.port()), upload_token(*sender), attachment, kMiB, 2 * kMiB).status,
      204);
  EXPECT_EQ(ciphertexts_of(log_in_and_drain(d, bob)), later);
}

}  // namespace
}  // namespace xchat::testing
