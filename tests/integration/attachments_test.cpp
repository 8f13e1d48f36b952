// Attachments as the server serves them over HTTP: tokens from the WebSocket authorize
// every request; uploads go in one request or resume after a cut; downloads take ranges;
// only the owner and the devices a send granted may download; limits refuse cleanly and
// leave nothing behind; unfinished, vanishing and deleted attachments leave the disk; a
// crash mid-upload leaves a resumable upload; a large transfer holds memory flat.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "integration/support/daemon.hpp"
#include "integration/support/data_files.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/http_client.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/messaging.hpp"
#include "integration/support/sample_files.hpp"
#include "integration/support/ws_client.hpp"

namespace xchat::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr std::uint64_t kSeed = 7;

HttpHeaders bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

HttpHeaders with(HttpHeaders headers, const std::string& name, const std::string& value) {
  headers.emplace_back(name, value);
  return headers;
}

std::string upload_token(WsClient& c) {
  auto reply = c.request({{"type", "attachment.upload_token"}});
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
  return reply["result"].value("token", "");
}

json download_token_reply(WsClient& c, const std::string& id) {
  return c.request({{"type", "attachment.download_token"}, {"attachment", id}});
}

std::string download_token(WsClient& c, const std::string& id) {
  auto reply = download_token_reply(c, id);
  EXPECT_TRUE(reply.contains("result")) << reply.dump();
  return reply.contains("result") ? reply["result"].value("token", "") : "";
}

std::string path_of(const std::string& id) { return "/v1/attachments/" + id; }

class Attachments : public ::testing::Test {
 protected:
  void start(const Overrides& overrides = {}) {
    Overrides all = {{"messages.min_expires_in_seconds", "1"}};
    for (const auto& [k, v] : overrides) all[k] = v;
    daemon_.emplace(all);
    http_.emplace(daemon_->port());
    alice_client_ = register_and_log_in(*daemon_, alice_);
    ASSERT_NE(alice_client_, nullptr);
    bob_client_ = register_and_log_in(*daemon_, bob_);
    ASSERT_NE(bob_client_, nullptr);
  }

  Daemon& d() { return *daemon_; }
  HttpClient& http() { return *http_; }
  WsClient& alice() { return *alice_client_; }
  WsClient& bob() { return *bob_client_; }
  std::string files_dir() { return d().data_dir() + "/attachments"; }

  // Creates an upload of `size` bytes with `token`; its id, "" after a failure.
  std::string create(const std::string& token, std::int64_t size, HttpReply* reply = nullptr) {
    HttpReply r = http().request("POST", "/v1/attachments",
                                 with(bearer(token), "Upload-Length", std::to_string(size)));
    if (reply != nullptr) *reply = r;
    if (r.status != 201) return "";
    return r.json().value("id", "");
  }

  // Uploads and finishes `size` bytes of sample stream `seed` in one request; the id.
  std::string upload_whole(const std::string& token, std::int64_t size,
                           std::uint64_t seed = kSeed) {
    const std::string id = create(token, size);
    EXPECT_FALSE(id.empty());
    HttpReply put = http().upload(
        path_of(id), with(bearer(token), "Upload-Offset", "0"),
        [seed](std::int64_t at, char* out, std::size_t n) { sample_bytes(seed, at, out, n); }, 0,
        size);
    EXPECT_EQ(put.status, 204) << put.body;
    EXPECT_EQ(put.header("upload-offset"), std::to_string(size));
    HttpReply done = http().request("POST", path_of(id) + "/finish", bearer(token));
    EXPECT_EQ(done.status, 200) << done.body;
    EXPECT_EQ(done.json().value("complete", false), true);
    return id;
  }

  HttpReply get(const std::string& id, const std::string& token, const std::string& range = "") {
    HttpHeaders h = bearer(token);
    if (!range.empty()) h.emplace_back("Range", range);
    return http().request("GET", path_of(id), h);
  }

  std::int64_t rows() { return sql_integer(d(), "SELECT count(*) FROM attachments"); }
  std::size_t files() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(files_dir())) ++n;
    return n;
  }

  std::optional<Daemon> daemon_;
  std::optional<HttpClient> http_;
  TestUser alice_{"@alice"};
  TestUser bob_{"@bob"};
  std::unique_ptr<WsClient> alice_client_;
  std::unique_ptr<WsClient> bob_client_;
};

TEST_F(Attachments, UploadedInOneRequestDownloadsWholeAndByRange) {
  start();
  const std::string token = upload_token(alice());
  const std::int64_t size = 1'048'593;
  const std::string id = upload_whole(token, size);
  ASSERT_EQ(id.size(), 32u);
  const std::string expected = sample_string(kSeed, size);
  // The server keeps the bytes as they came, in a file of its own.
  EXPECT_EQ(fs::file_size(files_dir() + "/" + id), static_cast<std::uintmax_t>(size));

  const std::string dl = download_token(alice(), id);  // the owner may
  HttpReply whole = get(id, dl);
  EXPECT_EQ(whole.status, 200);
  EXPECT_TRUE(whole.body == expected);
  EXPECT_EQ(whole.header("accept-ranges"), "bytes");
  EXPECT_EQ(whole.header("content-type"), "application/octet-stream");

  HttpReply middle = get(id, dl, "bytes=100-199");
  EXPECT_EQ(middle.status, 206);
  EXPECT_EQ(middle.header("content-range"), "bytes 100-199/" + std::to_string(size));
  EXPECT_TRUE(middle.body == expected.substr(100, 100));

  HttpReply tail = get(id, dl, "bytes=-10");
  EXPECT_EQ(tail.status, 206);
  EXPECT_TRUE(tail.body == expected.substr(size - 10));

  HttpReply rest = get(id, dl, "bytes=1048000-");
  EXPECT_EQ(rest.status, 206);
  EXPECT_TRUE(rest.body == expected.substr(1048000));

  HttpReply past = get(id, dl, "bytes=" + std::to_string(size) + "-");
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(past.error_code(), "range_not_satisfiable");
  EXPECT_EQ(past.header("content-range"), "bytes */" + std::to_string(size));

  HttpReply head = http().request("HEAD", path_of(id), bearer(dl));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), std::to_string(size));
  EXPECT_TRUE(head.body.empty());
}

TEST_F(Attachments, AnEmptyFileRoundTrips) {
  start();
  const std::string token = upload_token(alice());
  const std::string id = create(token, 0);
  ASSERT_FALSE(id.empty());
  HttpReply done = http().request("POST", path_of(id) + "/finish", bearer(token));
  EXPECT_EQ(done.status, 200) << done.body;
  HttpReply got = get(id, download_token(alice(), id));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.header("content-length"), "0");
  EXPECT_TRUE(got.body.empty());
}

TEST_F(Attachments, AFinishedAttachmentIsKeptForTheRetentionDays) {
  start({{"attachments.retention_days", "2"}, {"attachments.upload_timeout_seconds", "600"}});
  const std::string token = upload_token(alice());
  HttpReply created;
  const std::string id = create(token, 0, &created);
  const std::int64_t begun = unix_now_ms();
  // Until it is finished, the upload deadline holds.
  EXPECT_NEAR(created.json().value("expires_at", std::int64_t{0}), begun + 600'000, 60'000);
  HttpReply done = http().request("POST", path_of(id) + "/finish", bearer(token));
  ASSERT_EQ(done.status, 200);
  const std::int64_t two_days = 2 * 86'400'000LL;
  EXPECT_NEAR(done.json().value("expires_at", std::int64_t{0}), unix_now_ms() + two_days, 60'000);
  EXPECT_NEAR(sql_integer(d(), "SELECT expires_at FROM attachments"), unix_now_ms() + two_days,
              60'000);
}

TEST_F(Attachments, AnUploadCutOffResumesFromTheStoredOffset) {
  start();
  const std::string token = upload_token(alice());
  const std::int64_t size = 3 << 20;
  const std::string id = create(token, size);
  ASSERT_FALSE(id.empty());
  auto source = [](std::int64_t at, char* out, std::size_t n) { sample_bytes(kSeed, at, out, n); };
  HttpReply cut = http().upload(path_of(id), with(bearer(token), "Upload-Offset", "0"), source, 0,
                                size, false, std::int64_t{1} << 20);
  EXPECT_EQ(cut.status, 0);

  // The server keeps whatever reached it; ask how much.
  std::int64_t offset = -1;
  ASSERT_TRUE(eventually([&] {
    HttpReply state = http().request("GET", path_of(id) + "/upload", bearer(token));
    offset = state.json().value("offset", std::int64_t{-1});
    return state.status == 200 && offset == (1 << 20);
  })) << offset;
  EXPECT_EQ(http().request("GET", path_of(id) + "/upload", bearer(token)).json()["complete"],
            false);

  // Finishing early, or continuing from the wrong place, is refused with the offset.
  HttpReply early = http().request("POST", path_of(id) + "/finish", bearer(token));
  EXPECT_EQ(early.status, 409);
  EXPECT_EQ(early.error_code(), "upload_incomplete");
  EXPECT_EQ(early.json().value("offset", -1), offset);
  HttpReply wrong =
      http().upload(path_of(id), with(bearer(token), "Upload-Offset", "0"), source, 0, 1000);
  EXPECT_EQ(wrong.status, 409);
  EXPECT_EQ(wrong.error_code(), "offset_mismatch");
  EXPECT_EQ(wrong.header("upload-offset"), std::to_string(offset));

  // Chunked transfer encoding works as well as Content-Length.
  HttpReply resumed =
      http().upload(path_of(id), with(bearer(token), "Upload-Offset", std::to_string(offset)),
                    source, offset, size, /*chunked=*/true);
  EXPECT_EQ(resumed.status, 204) << resumed.body;
  EXPECT_EQ(resumed.header("upload-offset"), std::to_string(size));
  EXPECT_EQ(http().request("POST", path_of(id) + "/finish", bearer(token)).status, 200);

  // A download resumes with a Range from what arrived.
  const std::string dl = download_token(alice(), id);
  StreamDigest first_part;
  HttpReply partial = http().download(
      path_of(id), bearer(dl), [&](const char* p, std::size_t n) { first_part.add(p, n); },
      std::int64_t{1} << 20);
  EXPECT_EQ(partial.status, 200);
  StreamDigest whole;
  std::int64_t received = 0;
  HttpReply again = http().download(path_of(id), bearer(dl), [&](const char* p, std::size_t n) {
    whole.add(p, n);
    received += static_cast<std::int64_t>(n);
  });
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(received, size);
  EXPECT_EQ(whole.hex(), sample_digest(kSeed, 0, size));
  StreamDigest rest;
  HttpReply ranged = http().download(path_of(id), with(bearer(dl), "Range", "bytes=1048576-"),
                                     [&](const char* p, std::size_t n) { rest.add(p, n); });
  EXPECT_EQ(ranged.status, 206);
  EXPECT_EQ(rest.hex(), sample_digest(kSeed, 1 << 20, size));
}

TEST_F(Attachments, OnlyTheOwnerAndTheDevicesASendGrantedMayDownload) {
  start();
  TestUser carol{"@carol"};
  auto carol_client = register_and_log_in(d(), carol);
  ASSERT_NE(carol_client, nullptr);
  const std::string token = upload_token(alice());
  const std::string id = upload_whole(token, 5000);

  // No token, a forged one, the wrong kind: 401 with a JSON error.
  for (const HttpHeaders& h : {HttpHeaders{}, bearer("AAAA"), bearer(token + "x"), bearer(token)}) {
    HttpReply r = http().request("GET", path_of(id), h);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.error_code(), "unauthorized");
    EXPECT_EQ(r.header("www-authenticate"), "Bearer");
  }
  // Bob has no right to it yet, and a guessed id is unknown: both not_found, alike.
  EXPECT_EQ(error_code(download_token_reply(bob(), id)), "not_found");
  EXPECT_EQ(error_code(download_token_reply(bob(), std::string(32, '0'))), "not_found");
  EXPECT_EQ(error_code(download_token_reply(bob(), "not-hex")), "bad_request");
  // Bob's upload token does not reach Alice's uploads.
  const std::string bob_upload = upload_token(bob());
  EXPECT_EQ(http().request("GET", path_of(id) + "/upload", bearer(bob_upload)).status, 404);
  EXPECT_EQ(http().request("DELETE", path_of(id), bearer(bob_upload)).status, 404);

  // A message to Bob that carries it grants Bob's device.
  json send = send_request("@bob", random_ciphertexts({1}));
  send["attachments"] = json::array({id});
  auto reply = alice().request(send);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  const std::string bob_dl = download_token(bob(), id);
  HttpReply got = get(id, bob_dl);
  EXPECT_EQ(got.status, 200);
  EXPECT_TRUE(got.body == sample_string(kSeed, 5000));
  // ... not Carol, and Bob's token is for this attachment only.
  EXPECT_EQ(error_code(download_token_reply(*carol_client, id)), "not_found");
  const std::string other = upload_whole(token, 10, 9);
  EXPECT_EQ(get(other, bob_dl).status, 401);

  // Sends may carry only finished attachments of the sender's own.
  json foreign = send_request("@alice", random_ciphertexts({1}));
  foreign["attachments"] = json::array({id});
  EXPECT_EQ(error_code(bob().request(foreign)), "not_found");
  const std::string unfinished = create(token, 10);
  json early = send_request("@bob", random_ciphertexts({1}));
  early["attachments"] = json::array({unfinished});
  EXPECT_EQ(error_code(alice().request(early)), "not_found");

  // Tokens die with the server that issued them.
  d().stop();
  d().start();
  http_.emplace(d().port());
  EXPECT_EQ(get(id, bob_dl).status, 401);
}

TEST_F(Attachments, LimitsRefuseCleanlyAndLeaveNothingBehind) {
  start({{"attachments.max_file_bytes", "100000"},
         {"attachments.quota_bytes_per_account", "150000"},
         {"attachments.max_uploads_in_progress", "2"}});
  const std::string token = upload_token(alice());
  HttpReply r;
  EXPECT_EQ(create(token, 100001, &r), "");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.error_code(), "file_too_large");
  EXPECT_EQ(create(token, -1, &r), "");
  EXPECT_EQ(r.status, 400);

  const std::string a = create(token, 100000);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(create(token, 50001, &r), "");
  EXPECT_EQ(r.status, 507);
  EXPECT_EQ(r.error_code(), "quota_exceeded");
  const std::string b = create(token, 100);
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(create(token, 100, &r), "");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.error_code(), "too_many_uploads");
  EXPECT_EQ(rows(), 2);

  auto source = [](std::int64_t at, char* out, std::size_t n) { sample_bytes(kSeed, at, out, n); };
  // A body that says it is too long is refused before a byte is stored...
  HttpReply too_long =
      http().upload(path_of(b), with(bearer(token), "Upload-Offset", "0"), source, 0, 101);
  EXPECT_EQ(too_long.status, 413);
  EXPECT_EQ(too_long.error_code(), "file_too_large");
  // ... and a chunked one that turns out too long is cut back to where it started.
  ASSERT_EQ(
      http().upload(path_of(b), with(bearer(token), "Upload-Offset", "0"), source, 0, 40).status,
      204);
  HttpReply overflow = http().upload(path_of(b), with(bearer(token), "Upload-Offset", "40"), source,
                                     40, 400, /*chunked=*/true);
  EXPECT_EQ(overflow.status, 413);
  EXPECT_EQ(http().request("GET", path_of(b) + "/upload", bearer(token)).json()["offset"], 40);
  EXPECT_EQ(fs::file_size(files_dir() + "/" + b), 40u);

  // Deleting frees the quota and the disk.
  EXPECT_EQ(http().request("DELETE", path_of(a), bearer(token)).status, 204);
  EXPECT_FALSE(fs::exists(files_dir() + "/" + a));
  EXPECT_FALSE(create(token, 100000).empty());
}

TEST_F(Attachments, MalformedRequestsGetClearErrors) {
  start();
  const std::string token = upload_token(alice());
  const std::string id = create(token, 10);
  EXPECT_EQ(http().request("POST", "/v1/attachments", bearer(token)).status, 400);  // no length
  EXPECT_EQ(
      http().request("POST", "/v1/attachments", with(bearer(token), "Upload-Length", "1x")).status,
      400);
  HttpReply put = http().request("PUT", path_of(id), bearer(token));
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.header("allow"), "GET, HEAD, PATCH, DELETE");
  EXPECT_EQ(http().request("GET", "/v1/attachments/xyz", bearer(token)).status, 404);
  EXPECT_EQ(http().request("GET", path_of(id) + "/other", bearer(token)).status, 404);
  EXPECT_EQ(http().request("PATCH", path_of(id), bearer(token), "abc").status, 400);  // no offset
  HttpReply with_body = http().request("POST", path_of(id) + "/finish", bearer(token), "abc");
  EXPECT_EQ(with_body.status, 400);
  EXPECT_EQ(with_body.error_code(), "bad_request");
  // The server goes on serving.
  EXPECT_EQ(d().http_get("/healthz"), 200);
}

TEST_F(Attachments, UnfinishedUploadsAreDeletedAfterTheirTimeout) {
  start({{"attachments.upload_timeout_seconds", "1"}});
  const std::string token = upload_token(alice());
  const std::string id = create(token, 1000);
  ASSERT_EQ(
      http()
          .upload(
              path_of(id), with(bearer(token), "Upload-Offset", "0"),
              [](std::int64_t at, char* out, std::size_t n) { sample_bytes(kSeed, at, out, n); }, 0,
              500)
          .status,
      204);
  ASSERT_TRUE(fs::exists(files_dir() + "/" + id));
  EXPECT_TRUE(eventually([&] { return rows() == 0 && files() == 0; }, 10s));
  EXPECT_EQ(http().request("GET", path_of(id) + "/upload", bearer(token)).status, 404);
}

TEST_F(Attachments, AVanishingMessageTakesItsAttachmentOffTheDisk) {
  start();
  const std::string token = upload_token(alice());
  const std::string id = upload_whole(token, 20000);
  const std::string keep = upload_whole(token, 100, 3);
  json send = send_request("@bob", random_ciphertexts({1}));
  send["attachments"] = json::array({id});
  send["expires_in"] = 1;
  auto reply = alice().request(send);
  ASSERT_TRUE(reply.contains("result")) << reply.dump();
  EXPECT_TRUE(fs::exists(files_dir() + "/" + id));
  // The file goes inside the writer's operation, before its commit removes the row.
  EXPECT_TRUE(eventually([&] { return !fs::exists(files_dir() + "/" + id) && rows() == 1; }, 10s));
  EXPECT_EQ(sql_integer(d(), "SELECT count(*) FROM attachment_grants"), 0);
  EXPECT_EQ(error_code(download_token_reply(bob(), id)), "not_found");
  EXPECT_TRUE(fs::exists(files_dir() + "/" + keep));  // others stay
}

TEST_F(Attachments, ACrashMidUploadLeavesAResumableUploadAndStrayFilesGo) {
  start();
  const std::string token = upload_token(alice());
  const std::int64_t size = 2 << 20;
  const std::string id = create(token, size);
  auto source = [](std::int64_t at, char* out, std::size_t n) { sample_bytes(kSeed, at, out, n); };
  std::thread uploader([&] {
    // Sends half and then stalls, so the kill lands in the middle of the body.
    http().upload(path_of(id), with(bearer(token), "Upload-Offset", "0"), source, 0, size, false,
                  size / 2);
  });
  const bool started = eventually([&] {
    return fs::exists(files_dir() + "/" + id) && fs::file_size(files_dir() + "/" + id) > 0;
  });
  d().signal(SIGKILL);
  uploader.join();
  ASSERT_TRUE(started);
  d().wait_exit(10s);
  // A file no attachment owns (a crash between a deletion's commit and its unlink).
  const std::string stray = files_dir() + "/" + std::string(32, 'a');
  { std::ofstream(stray) << "left over"; }
  d().start();
  http_.emplace(d().port());
  alice_client_ = log_in_on_new_connection(d(), alice_);
  ASSERT_NE(alice_client_, nullptr);
  EXPECT_FALSE(fs::exists(stray));

  const std::string fresh = upload_token(alice());
  HttpReply state = http().request("GET", path_of(id) + "/upload", bearer(fresh));
  ASSERT_EQ(state.status, 200);
  EXPECT_EQ(state.json()["complete"], false);
  const std::int64_t offset = state.json()["offset"];
  EXPECT_GT(offset, 0);
  EXPECT_LE(offset, size / 2);
  EXPECT_EQ(http()
                .upload(path_of(id), with(bearer(fresh), "Upload-Offset", std::to_string(offset)),
                        source, offset, size)
                .status,
            204);
  EXPECT_EQ(http().request("POST", path_of(id) + "/finish", bearer(fresh)).status, 200);
  HttpReply got = get(id, download_token(alice(), id));
  EXPECT_TRUE(got.body == sample_string(kSeed, size));
}

// Memory stays flat while a large upload and a large download run at once beside chat
// traffic: bodies stream through fixed buffers. Asserted loosely (the bound is many times
// the buffers); docs/benchmarks.md has the measured figures.
TEST_F(Attachments, ALargeUploadAndDownloadKeepMemoryFlat) {
  start();
  const std::int64_t size = 512 << 20;
  const std::string token = upload_token(alice());
  const std::string stored = upload_whole(token, 8 << 20, 11);  // warms every code path
  const std::string dl = download_token(alice(), stored);
  ASSERT_EQ(get(stored, dl).status, 200);
  const std::string big = upload_whole(token, size, 12);
  const std::string big_dl = download_token(alice(), big);
  const long idle = d().rss_kib();
  ASSERT_GT(idle, 0);

  const std::string target = create(token, size);
  std::atomic<bool> done{false};
  std::atomic<long> peak{idle};
  std::thread sampler([&] {
    while (!done) {
      peak = std::max(peak.load(), d().rss_kib());
      std::this_thread::sleep_for(20ms);
    }
  });
  std::thread chatter([&] {
    while (!done) {
      auto r = alice().request(send_request("@bob", random_ciphertexts({1}, 256)));
      if (!r.contains("result")) break;
    }
  });
  std::string down_digest;
  std::thread downloader([&] {
    StreamDigest digest;
    http().download(path_of(big), bearer(big_dl),
                    [&](const char* p, std::size_t n) { digest.add(p, n); });
    down_digest = digest.hex();
  });
  HttpReply up = http().upload(
      path_of(target), with(bearer(token), "Upload-Offset", "0"),
      [](std::int64_t at, char* out, std::size_t n) { sample_bytes(13, at, out, n); }, 0, size);
  downloader.join();
  done = true;
  sampler.join();
  chatter.join();
  EXPECT_EQ(up.status, 204);
  EXPECT_EQ(down_digest, sample_digest(12, 0, size));
  const long grown = peak - idle;
  std::printf("idle RSS %ld KiB, peak %ld KiB during a %lld MiB upload and download\n", idle,
              peak.load(), static_cast<long long>(size >> 20));
  if (daemon_memory_is_meaningful()) {
    EXPECT_LT(grown, 16 * 1024) << "RSS grew by " << grown << " KiB";
  }
}

}  // namespace
}  // namespace xchat::testing
