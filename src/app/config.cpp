#include "app/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include "net/address_matcher.hpp"

namespace xchat {

namespace {

// What an entry's apply() returns: empty when the value was accepted, otherwise what the
// value must be ("must be 1..65535").
using Complaint = std::string;

struct Field {
  std::string_view section;
  std::string_view key;
  std::function<Complaint(const toml::node&, Config&)> apply;
};

template <class Get>
Field integer(std::string_view section, std::string_view key, std::int64_t min, std::int64_t max,
              Get get) {
  return {section, key, [=](const toml::node& n, Config& c) -> Complaint {
            const auto* v = n.as_integer();
            if (v == nullptr || v->get() < min || v->get() > max) {
              return "must be an integer in " + std::to_string(min) + ".." + std::to_string(max);
            }
            get(c) = static_cast<std::remove_reference_t<decltype(get(c))>>(v->get());
            return {};
          }};
}

template <class Get>
Field boolean(std::string_view section, std::string_view key, Get get) {
  return {section, key, [=](const toml::node& n, Config& c) -> Complaint {
            const auto* v = n.as_boolean();
            if (v == nullptr) return "must be true or false";
            get(c) = v->get();
            return {};
          }};
}

// `check` returns a complaint for a bad value, or empty.
template <class Get>
Field string(std::string_view section, std::string_view key, Get get,
             std::function<Complaint(const std::string&)> check) {
  return {section, key, [=](const toml::node& n, Config& c) -> Complaint {
            const auto* v = n.as_string();
            if (v == nullptr) return "must be a string";
            if (Complaint bad = check(v->get()); !bad.empty()) return bad;
            get(c) = v->get();
            return {};
          }};
}

template <class Get>
Field string_list(std::string_view section, std::string_view key, Get get,
                  std::function<Complaint(const std::string&)> check) {
  return {section, key, [=](const toml::node& n, Config& c) -> Complaint {
            const auto* arr = n.as_array();
            if (arr == nullptr) return "must be an array of strings";
            std::vector<std::string> out;
            for (const auto& item : *arr) {
              const auto* s = item.as_string();
              if (s == nullptr) return "must be an array of strings";
              if (Complaint bad = check(s->get()); !bad.empty()) return bad;
              out.push_back(s->get());
            }
            get(c) = std::move(out);
            return {};
          }};
}

Complaint any_string(const std::string&) { return {}; }

Complaint non_empty(const std::string& s) { return s.empty() ? "must not be empty" : ""; }

Complaint one_of(const std::string& s, std::initializer_list<std::string_view> allowed) {
  for (auto a : allowed) {
    if (s == a) return {};
  }
  std::string msg = "must be one of";
  for (auto a : allowed) msg += std::string(" ") + std::string(a);
  return msg;
}

const std::vector<Field>& schema() {
  constexpr std::int64_t kMaxInt = 1LL << 40;
  constexpr std::int64_t kMaxExpiresIn = 3650LL * 24 * 3600;  // ten years
  static const std::vector<Field> fields = {
      string(
          "listen", "address", [](Config & c) -> auto& { return c.listen.address; },
          [](const std::string& s) -> Complaint {
            return net::is_ip_address(s) ? "" : "must be an IPv4 or IPv6 address";
          }),
      integer(
          "listen", "port", 0, 65535, [](Config & c) -> auto& { return c.listen.port; }),
      string(
          "server", "name", [](Config & c) -> auto& { return c.server.name; }, non_empty),
      integer(
          "server", "threads", 0, 256, [](Config & c) -> auto& { return c.server.threads; }),
      string(
          "server", "data_dir", [](Config & c) -> auto& { return c.server.data_dir; }, non_empty),
      string(
          "tls", "cert", [](Config & c) -> auto& { return c.tls.cert; }, any_string),
      string(
          "tls", "key", [](Config & c) -> auto& { return c.tls.key; }, any_string),
      string_list(
          "http", "trusted_proxies", [](Config & c) -> auto& { return c.http.trusted_proxies; },
          [](const std::string& s) -> Complaint {
            return net::AddressMatcher::parse_entry(s) ? "" : "entries must be IPs or CIDRs";
          }),
      string_list(
          "http", "allowed_origins", [](Config & c) -> auto& { return c.http.allowed_origins; },
          non_empty),
      integer(
          "limits", "max_frame_bytes", 1024, 64 << 20,
          [](Config & c) -> auto& { return c.limits.max_frame_bytes; }),
      integer(
          "limits", "max_outbound_queue_bytes", 16 * 1024, 1LL << 32,
          [](Config & c) -> auto& { return c.limits.max_outbound_queue_bytes; }),
      integer(
          "limits", "max_connections", 1, 10'000'000,
          [](Config & c) -> auto& { return c.limits.max_connections; }),
      integer(
          "limits", "max_connections_per_ip", 1, 10'000'000,
          [](Config & c) -> auto& { return c.limits.max_connections_per_ip; }),
      integer(
          "limits", "max_requests_in_flight", 1, 65536,
          [](Config & c) -> auto& { return c.limits.max_requests_in_flight; }),
      integer(
          "limits", "handshake_timeout_seconds", 1, 3600,
          [](Config & c) -> auto& { return c.limits.handshake_timeout_seconds; }),
      integer(
          "limits", "idle_timeout_seconds", 2, 86400,
          [](Config & c) -> auto& { return c.limits.idle_timeout_seconds; }),
      integer(
          "limits", "ping_interval_seconds", 1, 86400,
          [](Config & c) -> auto& { return c.limits.ping_interval_seconds; }),
      integer(
          "limits", "challenge_ttl_seconds", 1, 3600,
          [](Config & c) -> auto& { return c.limits.challenge_ttl_seconds; }),
      integer(
          "limits", "login_failures_per_ip_per_minute", 1, kMaxInt,
          [](Config & c) -> auto& { return c.limits.login_failures_per_ip_per_minute; }),
      integer(
          "limits", "registrations_per_ip_per_hour", 1, kMaxInt,
          [](Config & c) -> auto& { return c.limits.registrations_per_ip_per_hour; }),
      integer(
          "limits", "lookups_per_account_per_minute", 1, kMaxInt,
          [](Config & c) -> auto& { return c.limits.lookups_per_account_per_minute; }),
      integer(
          "limits", "max_devices_per_account", 1, 1000,
          [](Config & c) -> auto& { return c.limits.max_devices_per_account; }),
      integer(
          "limits", "max_one_time_prekeys", 1, 10000,
          [](Config & c) -> auto& { return c.limits.max_one_time_prekeys; }),
      integer(
          "limits", "key_fetches_per_account_per_minute", 1, kMaxInt,
          [](Config & c) -> auto& { return c.limits.key_fetches_per_account_per_minute; }),
      integer(
          "limits", "max_envelope_bytes", 1, 16 << 20,
          [](Config & c) -> auto& { return c.limits.max_envelope_bytes; }),
      integer(
          "limits", "sends_per_account_per_minute", 1, kMaxInt,
          [](Config & c) -> auto& { return c.limits.sends_per_account_per_minute; }),
      integer(
          "limits", "max_queued_envelopes_per_device", 1, kMaxInt,
          [](Config & c) -> auto& { return c.limits.max_queued_envelopes_per_device; }),
      integer(
          "limits", "max_unacked_envelopes", 1, 65536,
          [](Config & c) -> auto& { return c.limits.max_unacked_envelopes; }),
      integer(
          "limits", "max_contacts", 1, kMaxInt,
          [](Config & c) -> auto& { return c.limits.max_contacts; }),
      integer(
          "messages", "max_retention_days", 1, 3650,
          [](Config & c) -> auto& { return c.messages.max_retention_days; }),
      integer(
          "messages", "dedup_window_hours", 1, 24 * 3650,
          [](Config & c) -> auto& { return c.messages.dedup_window_hours; }),
      integer(
          "messages", "min_expires_in_seconds", 1, kMaxExpiresIn,
          [](Config & c) -> auto& { return c.messages.min_expires_in_seconds; }),
      integer(
          "messages", "max_expires_in_seconds", 1, kMaxExpiresIn,
          [](Config & c) -> auto& { return c.messages.max_expires_in_seconds; }),
      integer(
          "messages", "unsend_window_seconds", 0, kMaxInt,
          [](Config & c) -> auto& { return c.messages.unsend_window_seconds; }),
      integer(
          "messages", "edit_window_seconds", 0, kMaxInt,
          [](Config & c) -> auto& { return c.messages.edit_window_seconds; }),
      integer(
          "attachments", "max_file_bytes", 0, kMaxInt,
          [](Config & c) -> auto& { return c.attachments.max_file_bytes; }),
      integer(
          "attachments", "quota_bytes_per_account", 0, kMaxInt,
          [](Config & c) -> auto& { return c.attachments.quota_bytes_per_account; }),
      integer(
          "attachments", "max_uploads_in_progress", 0, 10000,
          [](Config & c) -> auto& { return c.attachments.max_uploads_in_progress; }),
      integer(
          "attachments", "upload_timeout_seconds", 1, 365 * 86'400,
          [](Config & c) -> auto& { return c.attachments.upload_timeout_seconds; }),
      integer(
          "attachments", "retention_days", 1, 3650,
          [](Config & c) -> auto& { return c.attachments.retention_days; }),
      integer(
          "attachments", "token_ttl_seconds", 1, 86'400,
          [](Config & c) -> auto& { return c.attachments.token_ttl_seconds; }),
      integer(
          "attachments", "idle_timeout_seconds", 1, 3600,
          [](Config & c) -> auto& { return c.attachments.idle_timeout_seconds; }),
      string(
          "storage", "synchronous", [](Config & c) -> auto& { return c.storage.synchronous; },
          [](const std::string& s) {
            return one_of(s, {"FULL", "NORMAL"});
          }),
      integer(
          "storage", "batch_window_us", 0, 100'000,
          [](Config & c) -> auto& { return c.storage.batch_window_us; }),
      integer(
          "storage", "batch_max_ops", 1, 65536,
          [](Config & c) -> auto& { return c.storage.batch_max_ops; }),
      integer(
          "storage", "busy_timeout_ms", 0, 600'000,
          [](Config & c) -> auto& { return c.storage.busy_timeout_ms; }),
      integer(
          "storage", "checkpoint_interval_seconds", 1, 86'400,
          [](Config & c) -> auto& { return c.storage.checkpoint_interval_seconds; }),
      integer(
          "storage", "min_free_bytes", 0, kMaxInt,
          [](Config & c) -> auto& { return c.storage.min_free_bytes; }),
      {"access", "registration",
       [](const toml::node& n, Config& c) -> Complaint {
         const auto* v = n.as_string();
         const std::string s = v != nullptr ? v->get() : "";
         if (s == "open") {
           c.access.registration = RegistrationPolicy::kOpen;
         } else if (s == "invite") {
           c.access.registration = RegistrationPolicy::kInvite;
         } else if (s == "closed") {
           c.access.registration = RegistrationPolicy::kClosed;
         } else {
           return "must be one of open invite closed";
         }
         return {};
       }},
      boolean(
          "access", "require_subscription",
          [](Config & c) -> auto& { return c.access.require_subscription; }),
      string(
          "log", "level", [](Config & c) -> auto& { return c.log.level; },
          [](const std::string& s) {
            return one_of(s, {"trace", "debug", "info", "warn", "error", "critical", "off"});
          }),
  };
  return fields;
}

// The schema's sections when `section` is empty, else the keys of `section`, for the
// "what is allowed" part of an unknown-name error.
std::string allowed_names(std::string_view section) {
  std::vector<std::string_view> names;
  for (const auto& f : schema()) {
    if (section.empty() && std::find(names.begin(), names.end(), f.section) == names.end()) {
      names.push_back(f.section);
    } else if (!section.empty() && f.section == section) {
      names.push_back(f.key);
    }
  }
  std::string out;
  for (auto n : names) {
    if (!out.empty()) out.push_back(' ');
    out.append(n);
  }
  return out;
}

std::string render(const toml::node& n) {
  std::ostringstream os;
  n.visit([&os](const auto& v) { os << v; });
  return os.str();
}

}  // namespace

Result<Config> parse_config(std::string_view toml_text, std::string_view source_name) {
  const std::string src(source_name);
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << src << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
       << e.description();
    return Status(ErrorCode::kBadRequest, os.str());
  }

  Config config;
  for (auto&& [section_key, section_node] : root) {
    const std::string section(section_key.str());
    const auto* table = section_node.as_table();
    bool known_section = false;
    for (const auto& f : schema()) known_section |= f.section == section;
    if (!known_section) {
      return Status(ErrorCode::kBadRequest,
                    src + ": " + section + ": unknown section; allowed: " + allowed_names({}));
    }
    if (table == nullptr)
      return Status(ErrorCode::kBadRequest, src + ": " + section + ": must be a table");
    for (auto&& [key, node] : *table) {
      const std::string name = section + "." + std::string(key.str());
      const Field* field = nullptr;
      for (const auto& f : schema()) {
        if (f.section == section && f.key == key.str()) field = &f;
      }
      if (field == nullptr) {
        return Status(ErrorCode::kBadRequest, src + ": " + name +
                                                  ": unknown setting; allowed in [" + section +
                                                  "]: " + allowed_names(section));
      }
      if (Complaint bad = field->apply(node, config); !bad.empty()) {
        return Status(ErrorCode::kBadRequest,
                      src + ": " + name + " = " + render(node) + ": " + bad);
      }
    }
  }

  const auto& l = config.limits;
  if (l.ping_interval_seconds >= l.idle_timeout_seconds) {
    return Status(ErrorCode::kBadRequest, src + ": limits.ping_interval_seconds = " +
                                              std::to_string(l.ping_interval_seconds) +
                                              ": must be less than limits.idle_timeout_seconds (" +
                                              std::to_string(l.idle_timeout_seconds) + ")");
  }
  // The delivery window spends at most half the outbound queue; the largest envelope's
  // frame (base64 grows it by a third) must fit in that half with room to spare.
  if (l.max_outbound_queue_bytes < 4 * l.max_envelope_bytes) {
    return Status(ErrorCode::kBadRequest, src + ": limits.max_outbound_queue_bytes = " +
                                              std::to_string(l.max_outbound_queue_bytes) +
                                              ": must be at least 4 x limits.max_envelope_bytes (" +
                                              std::to_string(4 * l.max_envelope_bytes) + ")");
  }
  const auto& m = config.messages;
  if (m.min_expires_in_seconds > m.max_expires_in_seconds) {
    return Status(ErrorCode::kBadRequest,
                  src + ": messages.min_expires_in_seconds = " +
                      std::to_string(m.min_expires_in_seconds) +
                      ": must not exceed messages.max_expires_in_seconds (" +
                      std::to_string(m.max_expires_in_seconds) + ")");
  }
  if (config.tls.cert.empty() != config.tls.key.empty()) {
    return Status(ErrorCode::kBadRequest,
                  src + ": tls: cert and key must be set together (or both left empty)");
  }
  return config;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kNotFound, path + ": cannot open the configuration file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

Config merge_reloadable(const Config& running, const Config& reloaded,
                        std::vector<std::string>* needs_restart) {
  Config merged = running;
  merged.limits = reloaded.limits;
  merged.messages = reloaded.messages;
  merged.attachments = reloaded.attachments;
  merged.log = reloaded.log;
  merged.access = reloaded.access;
  merged.http = reloaded.http;
  auto note = [&](bool changed, const char* section) {
    if (changed && needs_restart != nullptr) needs_restart->emplace_back(section);
  };
  note(running.listen.address != reloaded.listen.address ||
           running.listen.port != reloaded.listen.port,
       "listen");
  note(running.server.name != reloaded.server.name ||
           running.server.threads != reloaded.server.threads ||
           running.server.data_dir != reloaded.server.data_dir,
       "server");
  note(running.tls.cert != reloaded.tls.cert || running.tls.key != reloaded.tls.key, "tls");
  note(running.storage.synchronous != reloaded.storage.synchronous ||
           running.storage.batch_window_us != reloaded.storage.batch_window_us ||
           running.storage.batch_max_ops != reloaded.storage.batch_max_ops ||
           running.storage.busy_timeout_ms != reloaded.storage.busy_timeout_ms ||
           running.storage.checkpoint_interval_seconds !=
               reloaded.storage.checkpoint_interval_seconds ||
           running.storage.min_free_bytes != reloaded.storage.min_free_bytes,
       "storage");
  return merged;
}

std::string_view to_string(RegistrationPolicy policy) {
  switch (policy) {
    case RegistrationPolicy::kOpen:
      return "open";
    case RegistrationPolicy::kInvite:
      return "invite";
    case RegistrationPolicy::kClosed:
      return "closed";
  }
  return "open";
}

}  // namespace xchat
