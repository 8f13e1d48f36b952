#include "app/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace xchat {
namespace {

constexpr const char* kFile = "xchatd.toml";
constexpr const char* kSampleConfig = XCHAT_SOURCE_DIR "/config/xchatd.toml";

// The error message parse_config gives for `text`, or a marker when it was accepted.
std::string error_of(const std::string& text) {
  auto config = parse_config(text, kFile);
  if (config) return "<accepted>";
  EXPECT_EQ(config.status().code(), ErrorCode::kBadRequest) << config.status().message();
  return config.status().message();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out.push_back(',');
    out.append(s);
  }
  return out;
}

// Every setting of the schema, with its value rendered as text, so that a whole Config
// can be compared field by field and the sample file checked for each key.
struct Setting {
  std::string section;
  std::string key;
  std::function<std::string(const Config&)> value;
};

template <class T>
std::string text(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return std::string("\"").append(v).append("\"");
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return std::string("[").append(join(v)).append("]");
  } else if constexpr (std::is_same_v<T, RegistrationPolicy>) {
    return std::string(to_string(v));
  } else {
    return std::to_string(v);
  }
}

// Names each setting once: the macro turns them into both the text and the member access.
// clang-format off
#define XCHAT_SETTING(section, key) \
  Setting{#section, #key, [](const Config& c) { return text(c.section.key); }}
// clang-format on

const std::vector<Setting>& settings() {
  static const std::vector<Setting> all = {
      XCHAT_SETTING(listen, address),
      XCHAT_SETTING(listen, port),
      XCHAT_SETTING(server, name),
      XCHAT_SETTING(server, threads),
      XCHAT_SETTING(server, data_dir),
      XCHAT_SETTING(tls, cert),
      XCHAT_SETTING(tls, key),
      XCHAT_SETTING(http, trusted_proxies),
      XCHAT_SETTING(http, allowed_origins),
      XCHAT_SETTING(limits, max_frame_bytes),
      XCHAT_SETTING(limits, max_outbound_queue_bytes),
      XCHAT_SETTING(limits, max_connections),
      XCHAT_SETTING(limits, max_connections_per_ip),
      XCHAT_SETTING(limits, max_requests_in_flight),
      XCHAT_SETTING(limits, handshake_timeout_seconds),
      XCHAT_SETTING(limits, idle_timeout_seconds),
      XCHAT_SETTING(limits, ping_interval_seconds),
      XCHAT_SETTING(limits, challenge_ttl_seconds),
      XCHAT_SETTING(limits, login_failures_per_ip_per_minute),
      XCHAT_SETTING(limits, registrations_per_ip_per_hour),
      XCHAT_SETTING(limits, lookups_per_account_per_minute),
      XCHAT_SETTING(limits, max_devices_per_account),
      XCHAT_SETTING(limits, max_one_time_prekeys),
      XCHAT_SETTING(limits, key_fetches_per_account_per_minute),
      XCHAT_SETTING(limits, max_envelope_bytes),
      XCHAT_SETTING(limits, sends_per_account_per_minute),
      XCHAT_SETTING(limits, max_queued_envelopes_per_device),
      XCHAT_SETTING(limits, max_unacked_envelopes),
      XCHAT_SETTING(limits, max_contacts),
      XCHAT_SETTING(messages, max_retention_days),
      XCHAT_SETTING(messages, dedup_window_hours),
      XCHAT_SETTING(messages, min_expires_in_seconds),
      XCHAT_SETTING(messages, max_expires_in_seconds),
      XCHAT_SETTING(messages, unsend_window_seconds),
      XCHAT_SETTING(messages, edit_window_seconds),
      XCHAT_SETTING(attachments, max_file_bytes),
      XCHAT_SETTING(attachments, quota_bytes_per_account),
      XCHAT_SETTING(attachments, max_uploads_in_progress),
      XCHAT_SETTING(attachments, upload_timeout_seconds),
      XCHAT_SETTING(attachments, retention_days),
      XCHAT_SETTING(attachments, token_ttl_seconds),
      XCHAT_SETTING(attachments, idle_timeout_seconds),
      XCHAT_SETTING(storage, synchronous),
      XCHAT_SETTING(storage, batch_window_us),
      XCHAT_SETTING(storage, batch_max_ops),
      XCHAT_SETTING(storage, busy_timeout_ms),
      XCHAT_SETTING(storage, checkpoint_interval_seconds),
      XCHAT_SETTING(storage, min_free_bytes),
      XCHAT_SETTING(access, registration),
      XCHAT_SETTING(access, require_subscription),
      XCHAT_SETTING(log, level),
  };
  return all;
}

#undef XCHAT_SETTING

void expect_same_settings(const Config& actual, const Config& expected) {
  for (const auto& s : settings()) {
    EXPECT_EQ(s.value(actual), s.value(expected)) << s.section << "." << s.key;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The lines of `[section]` in a TOML text, up to the next section header.
std::string section_body(const std::string& toml, const std::string& section) {
  const std::string header = "\n[" + section + "]\n";
  const auto start = toml.find(header);
  if (start == std::string::npos) return {};
  const auto body = start + header.size();
  const auto end = toml.find("\n[", body);
  return toml.substr(body, end == std::string::npos ? std::string::npos : end - body);
}

TEST(Config, EmptyFileGivesDefaults) {
  auto config = parse_config("", kFile);
  ASSERT_TRUE(config) << config.status().message();
  expect_same_settings(*config, Config{});

  auto comments_only = parse_config("# nothing set\n\n", kFile);
  ASSERT_TRUE(comments_only) << comments_only.status().message();
  expect_same_settings(*comments_only, Config{});
}

TEST(Config, ParsesEveryKindOfValue) {
  auto config = parse_config(R"toml(
[listen]
address = "::1"
port = 0
[server]
name = "chat.example.com"
threads = 4
[tls]
cert = "/etc/xchatd/cert.pem"
key = "/etc/xchatd/key.pem"
[http]
trusted_proxies = ["10.0.0.0/8", "::1"]
allowed_origins = ["https://chat.example.com"]
[limits]
max_frame_bytes = 4096
idle_timeout_seconds = 30
ping_interval_seconds = 29
[storage]
synchronous = "NORMAL"
batch_window_us = 100
[access]
registration = "invite"
require_subscription = true
[log]
level = "debug"
)toml",
                             kFile);
  ASSERT_TRUE(config) << config.status().message();
  EXPECT_EQ(config->listen.address, "::1");
  EXPECT_EQ(config->listen.port, 0);
  EXPECT_EQ(config->server.name, "chat.example.com");
  EXPECT_EQ(config->server.threads, 4);
  EXPECT_EQ(config->server.data_dir, Config{}.server.data_dir);  // left out: default
  EXPECT_TRUE(config->tls.enabled());
  EXPECT_EQ(config->tls.key, "/etc/xchatd/key.pem");
  EXPECT_EQ(config->http.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_EQ(config->http.allowed_origins, std::vector<std::string>{"https://chat.example.com"});
  EXPECT_EQ(config->limits.max_frame_bytes, 4096);
  EXPECT_EQ(config->limits.idle_timeout_seconds, 30);
  EXPECT_EQ(config->limits.ping_interval_seconds, 29);
  EXPECT_EQ(config->storage.synchronous, "NORMAL");
  EXPECT_EQ(config->storage.batch_window_us, 100);
  EXPECT_EQ(config->access.registration, RegistrationPolicy::kInvite);
  EXPECT_TRUE(config->access.require_subscription);
  EXPECT_EQ(config->log.level, "debug");
}

TEST(Config, SampleFileIsValidAndHoldsExactlyTheDefaults) {
  auto config = load_config(kSampleConfig);
  ASSERT_TRUE(config) << config.status().message();
  expect_same_settings(*config, Config{});
}

TEST(Config, SampleFileListsEverySettingUnderItsSection) {
  const std::string sample = std::string("\n").append(read_file(kSampleConfig));
  ASSERT_FALSE(sample.empty());
  for (const auto& s : settings()) {
    const std::string body = std::string("\n").append(section_body(sample, s.section));
    EXPECT_NE(body.find("\n" + s.key + " = "), std::string::npos)
        << "config/xchatd.toml lacks " << s.section << "." << s.key;
  }
}

TEST(Config, SettingsTableMatchesTheSchema) {
  // Each name this test knows is one parse_config knows: a wrong-typed value is refused
  // as a bad value of that key, not as an unknown setting.
  for (const auto& s : settings()) {
    const std::string msg = error_of("[" + s.section + "]\n" + s.key + " = {}\n");
    EXPECT_EQ(msg.find("unknown"), std::string::npos) << msg;
    EXPECT_NE(msg.find(s.section + "." + s.key + " = "), std::string::npos) << msg;
  }
}

TEST(Config, OutOfRangeNamesFileKeyValueAndRange) {
  EXPECT_EQ(error_of("[listen]\nport = 70000\n"),
            "xchatd.toml: listen.port = 70000: must be an integer in 0..65535");
  EXPECT_EQ(error_of("[listen]\nport = -1\n"),
            "xchatd.toml: listen.port = -1: must be an integer in 0..65535");
  EXPECT_EQ(error_of("[limits]\nmax_frame_bytes = 1023\n"),
            "xchatd.toml: limits.max_frame_bytes = 1023: must be an integer in 1024..67108864");
  EXPECT_EQ(error_of("[server]\nthreads = 257\n"),
            "xchatd.toml: server.threads = 257: must be an integer in 0..256");
  EXPECT_EQ(error_of("[limits]\nmax_devices_per_account = 0\n"),
            "xchatd.toml: limits.max_devices_per_account = 0: must be an integer in 1..1000");
  EXPECT_EQ(error_of("[storage]\nbatch_window_us = 100001\n"),
            "xchatd.toml: storage.batch_window_us = 100001: must be an integer in 0..100000");
}

TEST(Config, RangeEdgesAreAccepted) {
  EXPECT_TRUE(parse_config("[listen]\nport = 65535\n", kFile));
  EXPECT_TRUE(parse_config("[listen]\nport = 0\n", kFile));
  EXPECT_TRUE(parse_config("[limits]\nmax_frame_bytes = 1024\n", kFile));
  EXPECT_TRUE(parse_config("[limits]\nmax_frame_bytes = 67108864\n", kFile));
}

TEST(Config, WrongTypeNamesWhatIsAllowed) {
  EXPECT_EQ(error_of("[listen]\nport = \"8480\"\n"),
            "xchatd.toml: listen.port = '8480': must be an integer in 0..65535");
  EXPECT_EQ(error_of("[listen]\nport = 8480.0\n"),
            "xchatd.toml: listen.port = 8480.0: must be an integer in 0..65535");
  EXPECT_EQ(error_of("[listen]\nport = true\n"),
            "xchatd.toml: listen.port = true: must be an integer in 0..65535");
  EXPECT_EQ(error_of("[access]\nrequire_subscription = \"yes\"\n"),
            "xchatd.toml: access.require_subscription = 'yes': must be true or false");
  EXPECT_EQ(error_of("[server]\nname = 5\n"), "xchatd.toml: server.name = 5: must be a string");
  EXPECT_EQ(error_of("[server]\nname = \"\"\n"),
            "xchatd.toml: server.name = '': must not be empty");
  EXPECT_EQ(error_of("[http]\nallowed_origins = \"*\"\n"),
            "xchatd.toml: http.allowed_origins = '*': must be an array of strings");
  EXPECT_EQ(error_of("[http]\nallowed_origins = [1]\n"),
            "xchatd.toml: http.allowed_origins = [ 1 ]: must be an array of strings");
}

TEST(Config, UnknownSectionListsTheSections) {
  EXPECT_EQ(error_of("[bogus]\nx = 1\n"),
            "xchatd.toml: bogus: unknown section; allowed: listen server tls http limits messages "
            "attachments storage access log");
  // A key outside any section is an unknown section too, not a silently ignored setting.
  EXPECT_EQ(
      error_of("port = 1\n"),
      "xchatd.toml: port: unknown section; allowed: listen server tls http limits messages "
      "attachments storage "
      "access log");
}

TEST(Config, UnknownKeyListsTheSectionsKeys) {
  EXPECT_EQ(error_of("[listen]\nprot = 1\n"),
            "xchatd.toml: listen.prot: unknown setting; allowed in [listen]: address port");
  EXPECT_EQ(error_of("[limits.extra]\nx = 1\n").substr(0, 46),
            "xchatd.toml: limits.extra: unknown setting; al");
}

TEST(Config, SectionMustBeATable) {
  EXPECT_EQ(error_of("listen = 5\n"), "xchatd.toml: listen: must be a table");
}

TEST(Config, BadEnumsListTheChoices) {
  EXPECT_EQ(error_of("[access]\nregistration = \"public\"\n"),
            "xchatd.toml: access.registration = 'public': must be one of open invite closed");
  EXPECT_EQ(error_of("[access]\nregistration = 1\n"),
            "xchatd.toml: access.registration = 1: must be one of open invite closed");
  EXPECT_EQ(error_of("[storage]\nsynchronous = \"OFF\"\n"),
            "xchatd.toml: storage.synchronous = 'OFF': must be one of FULL NORMAL");
  EXPECT_EQ(error_of("[log]\nlevel = \"verbose\"\n"),
            "xchatd.toml: log.level = 'verbose': must be one of trace debug info warn error "
            "critical off");
  for (const char* policy : {"open", "invite", "closed"}) {
    auto config = parse_config(std::string("[access]\nregistration = \"") + policy + "\"\n", kFile);
    ASSERT_TRUE(config) << policy;
    EXPECT_EQ(to_string(config->access.registration), policy);
  }
}

TEST(Config, BadListenAddress) {
  EXPECT_EQ(error_of("[listen]\naddress = \"localhost\"\n"),
            "xchatd.toml: listen.address = 'localhost': must be an IPv4 or IPv6 address");
  EXPECT_EQ(error_of("[listen]\naddress = \"256.0.0.1\"\n"),
            "xchatd.toml: listen.address = '256.0.0.1': must be an IPv4 or IPv6 address");
  EXPECT_TRUE(parse_config("[listen]\naddress = \"0.0.0.0\"\n", kFile));
  EXPECT_TRUE(parse_config("[listen]\naddress = \"::\"\n", kFile));
}

TEST(Config, BadTrustedProxyEntry) {
  EXPECT_EQ(error_of("[http]\ntrusted_proxies = [\"10.0.0.1\", \"10.0.0.0/33\"]\n"),
            "xchatd.toml: http.trusted_proxies = [ '10.0.0.1', '10.0.0.0/33' ]: entries must "
            "be IPs or CIDRs");
  EXPECT_EQ(error_of("[http]\ntrusted_proxies = [\"proxy.local\"]\n"),
            "xchatd.toml: http.trusted_proxies = [ 'proxy.local' ]: entries must be IPs or CIDRs");
  EXPECT_EQ(error_of("[http]\ntrusted_proxies = \"10.0.0.1\"\n"),
            "xchatd.toml: http.trusted_proxies = '10.0.0.1': must be an array of strings");
}

TEST(Config, PingIntervalMustBeBelowIdleTimeout) {
  EXPECT_EQ(error_of("[limits]\nidle_timeout_seconds = 30\nping_interval_seconds = 30\n"),
            "xchatd.toml: limits.ping_interval_seconds = 30: must be less than "
            "limits.idle_timeout_seconds (30)");
  EXPECT_EQ(error_of("[limits]\nidle_timeout_seconds = 10\n"),
            "xchatd.toml: limits.ping_interval_seconds = 20: must be less than "
            "limits.idle_timeout_seconds (10)");
}

TEST(Config, VanishingTimerRangeMustNotBeEmpty) {
  EXPECT_EQ(error_of("[messages]\nmin_expires_in_seconds = 60\nmax_expires_in_seconds = 30\n"),
            "xchatd.toml: messages.min_expires_in_seconds = 60: must not exceed "
            "messages.max_expires_in_seconds (30)");
  EXPECT_EQ(error_of("[messages]\nmin_expires_in_seconds = 30\nmax_expires_in_seconds = 30\n"),
            "<accepted>");
  EXPECT_EQ(error_of("[messages]\nmin_expires_in_seconds = 0\n"),
            "xchatd.toml: messages.min_expires_in_seconds = 0: must be an integer in "
            "1..315360000");
}

TEST(Config, OutboundQueueMustHoldTheLargestEnvelopes) {
  EXPECT_EQ(error_of("[limits]\nmax_outbound_queue_bytes = 262143\n"),
            "xchatd.toml: limits.max_outbound_queue_bytes = 262143: must be at least 4 x "
            "limits.max_envelope_bytes (262144)");
  EXPECT_EQ(error_of("[limits]\nmax_outbound_queue_bytes = 262144\n"), "<accepted>");
}

TEST(Config, TlsCertAndKeyComeTogether) {
  const std::string expected =
      "xchatd.toml: tls: cert and key must be set together (or both left empty)";
  EXPECT_EQ(error_of("[tls]\ncert = \"/c.pem\"\n"), expected);
  EXPECT_EQ(error_of("[tls]\nkey = \"/k.pem\"\n"), expected);
}

TEST(Config, SyntaxErrorGivesFileLineAndColumn) {
  const std::string msg = error_of("[listen]\nport = 8480\naddress = \n");
  EXPECT_EQ(msg.rfind("xchatd.toml:3:", 0), 0u) << msg;
  EXPECT_GT(msg.size(), std::string("xchatd.toml:3:1: ").size()) << msg;

  const std::string unterminated = error_of("[listen\n");
  EXPECT_EQ(unterminated.rfind("xchatd.toml:1:", 0), 0u) << unterminated;
}

TEST(Config, MissingFileNamesThePath) {
  auto config = load_config("/nonexistent/xchatd.toml");
  ASSERT_FALSE(config);
  EXPECT_NE(config.status().message().find("/nonexistent/xchatd.toml"), std::string::npos)
      << config.status().message();
}

TEST(Config, MergeReloadableKeepsRestartOnlySectionsAndNamesThem) {
  Config running;
  Config reloaded;
  reloaded.listen.port = 9000;
  reloaded.server.name = "other";
  reloaded.tls.cert = "/c.pem";
  reloaded.tls.key = "/k.pem";
  reloaded.storage.synchronous = "NORMAL";
  reloaded.limits.max_frame_bytes = 4096;
  reloaded.log.level = "debug";
  reloaded.access.registration = RegistrationPolicy::kClosed;
  reloaded.http.allowed_origins = {"*"};

  std::vector<std::string> needs_restart;
  const Config merged = merge_reloadable(running, reloaded, &needs_restart);
  EXPECT_EQ(join(needs_restart), "listen,server,tls,storage");
  EXPECT_EQ(merged.listen.port, running.listen.port);
  EXPECT_EQ(merged.server.name, running.server.name);
  EXPECT_FALSE(merged.tls.enabled());
  EXPECT_EQ(merged.storage.synchronous, running.storage.synchronous);
  EXPECT_EQ(merged.limits.max_frame_bytes, 4096);
  EXPECT_EQ(merged.log.level, "debug");
  EXPECT_EQ(merged.access.registration, RegistrationPolicy::kClosed);
  EXPECT_EQ(merged.http.allowed_origins, std::vector<std::string>{"*"});
}

TEST(Config, MergeReloadableReportsNothingWhenOnlyReloadableChanged) {
  Config running;
  Config reloaded;
  reloaded.limits.idle_timeout_seconds = 120;
  reloaded.access.require_subscription = true;
  std::vector<std::string> needs_restart;
  const Config merged = merge_reloadable(running, reloaded, &needs_restart);
  EXPECT_TRUE(needs_restart.empty()) << join(needs_restart);
  expect_same_settings(merged, reloaded);
}

}  // namespace
}  // namespace xchat
