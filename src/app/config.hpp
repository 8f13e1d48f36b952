#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "xchat/status.hpp"

namespace xchat {

// The daemon's settings, read from a TOML file (config/xchatd.toml documents every key
// with its default and reasoning). Defaults here and in that file must agree; a test
// checks it. Plain data: copy it freely, and publish a reloaded copy via Settings.

enum class RegistrationPolicy { kOpen, kInvite, kClosed };

struct ListenConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8480;  // 0 picks a free port (tests use it)
};

struct ServerConfig {
  std::string name = "localhost";  // bound into login signatures
  int threads = 0;                 // 0 = hardware concurrency
  std::string data_dir = "var";
};

struct TlsConfig {
  std::string cert;
  std::string key;
  bool enabled() const { return !cert.empty(); }
};

struct HttpConfig {
  std::vector<std::string> trusted_proxies;  // IPs or CIDRs whose X-Forwarded-For counts
  std::vector<std::string> allowed_origins;  // browser Origins allowed to upgrade; "*" = any
};

struct LimitsConfig {
  std::int64_t max_frame_bytes = 128 * 1024;
  std::int64_t max_outbound_queue_bytes = 4 * 1024 * 1024;
  std::int64_t max_connections = 100000;
  std::int64_t max_connections_per_ip = 256;
  std::int64_t max_requests_in_flight = 256;
  std::int64_t handshake_timeout_seconds = 10;
  std::int64_t idle_timeout_seconds = 60;
  std::int64_t ping_interval_seconds = 20;
  std::int64_t challenge_ttl_seconds = 60;
  std::int64_t login_failures_per_ip_per_minute = 10;
  std::int64_t registrations_per_ip_per_hour = 20;
  std::int64_t lookups_per_account_per_minute = 120;
  std::int64_t max_devices_per_account = 16;
  std::int64_t max_one_time_prekeys = 100;
  std::int64_t key_fetches_per_account_per_minute = 120;
  std::int64_t max_envelope_bytes = 64 * 1024;
  std::int64_t sends_per_account_per_minute = 600;
  std::int64_t max_queued_envelopes_per_device = 50000;
  std::int64_t max_unacked_envelopes = 64;
  std::int64_t max_contacts = 5000;
};

struct MessagesConfig {
  std::int64_t max_retention_days = 30;
  std::int64_t dedup_window_hours = 168;
  std::int64_t min_expires_in_seconds = 5;              // a send's vanishing timer: the least
  std::int64_t max_expires_in_seconds = 7 * 24 * 3600;  // and the most
  std::int64_t unsend_window_seconds = 24 * 3600;
  std::int64_t edit_window_seconds = 24 * 3600;
};

struct AttachmentsConfig {
  std::int64_t max_file_bytes = std::int64_t{2} << 30;            // one attachment's ciphertext
  std::int64_t quota_bytes_per_account = std::int64_t{10} << 30;  // all of an account's
  std::int64_t max_uploads_in_progress = 4;                       // unfinished, per account
  std::int64_t upload_timeout_seconds =
      86400;                             // an unfinished upload is deleted this long after creation
  std::int64_t retention_days = 30;      // a finished attachment is deleted this long after
  std::int64_t token_ttl_seconds = 600;  // upload and download tokens
  std::int64_t idle_timeout_seconds = 30;  // a transfer's body may stall this long
};

struct StorageConfig {
  std::string synchronous = "FULL";  // FULL or NORMAL
  std::int64_t batch_window_us = 0;
  std::int64_t batch_max_ops = 512;
  std::int64_t busy_timeout_ms = 5000;
  std::int64_t checkpoint_interval_seconds = 60;
  std::int64_t min_free_bytes = std::int64_t{64} << 20;  // 64 MiB
};

struct AccessConfig {
  RegistrationPolicy registration = RegistrationPolicy::kOpen;
  bool require_subscription = false;
};

struct LogConfig {
  std::string level = "info";
};

struct Config {
  ListenConfig listen;
  ServerConfig server;
  TlsConfig tls;
  HttpConfig http;
  LimitsConfig limits;
  MessagesConfig messages;
  AttachmentsConfig attachments;
  StorageConfig storage;
  AccessConfig access;
  LogConfig log;
};

// Parses and validates TOML text. `source_name` prefixes every error message, which names
// the key, the bad value and what is allowed, e.g.
//   "xchatd.toml: listen.port = 70000: must be an integer in 0..65535".
// Unknown keys are errors. Keys left out keep their defaults.
Result<Config> parse_config(std::string_view toml_text, std::string_view source_name);

// Reads and parses a file; the error names the path.
Result<Config> load_config(const std::string& path);

// What SIGHUP may change without a restart: limits, messages, attachments, log, access and
// http. Everything
// else keeps its value from `running`; the names of ignored changed sections are
// returned so the caller can log them.
Config merge_reloadable(const Config& running, const Config& reloaded,
                        std::vector<std::string>* needs_restart);

std::string_view to_string(RegistrationPolicy policy);

}  // namespace xchat
