#include "load/ledger.hpp"

#include <algorithm>
#include <sstream>
#include <utility>

#include "crypto/random.hpp"
#include "xchat/base64.hpp"

namespace xchat::bench {

namespace {

constexpr std::string_view kMagic = "xchat-crash";
// Violations listed in the report; the count covers them all.
constexpr std::size_t kMaxListedViolations = 50;

const char* fate_name(Ledger::AttachmentFate fate) {
  switch (fate) {
    case Ledger::AttachmentFate::kUnchecked:
      return "unchecked";
    case Ledger::AttachmentFate::kComplete:
      return "complete";
    case Ledger::AttachmentFate::kAbsent:
      return "absent";
    case Ledger::AttachmentFate::kCorrupt:
      return "corrupt";
  }
  return "";
}

}  // namespace

std::string make_crash_ciphertext(const std::string& from, std::uint64_t n,
                                  const std::string& attachment, std::size_t padding) {
  std::string text = std::string(kMagic) + " " + from + " " + std::to_string(n) + " " +
                     (attachment.empty() ? "-" : attachment) + " ";
  return text + crypto::random_bytes(padding);
}

std::optional<std::uint64_t> parse_crash_number(const std::string& ciphertext) {
  std::istringstream in(ciphertext);
  std::string magic, from;
  std::uint64_t n = 0;
  if (!(in >> magic >> from >> n) || magic != kMagic) return std::nullopt;
  return n;
}

void Ledger::attempted(const Send& send) {
  Message& m = messages_[message_key(send.from, send.message_id)];
  m.send = send;
}

void Ledger::retried(const std::string& key, std::int64_t written_ms) {
  Message& m = messages_.at(key);
  if (m.retries++ == 0) m.first_retry_ms = written_ms;
}

void Ledger::deferred(const std::string& key, std::int64_t at_ms) {
  ++messages_.at(key).deferrals;
  if (first_full_ms_ == 0) first_full_ms_ = at_ms;
  last_full_ms_ = std::max(last_full_ms_, at_ms);
}

void Ledger::accepted(const std::string& key, const nlohmann::json& result) {
  Message& m = messages_.at(key);
  m.state = Message::State::kAccepted;
  m.timestamp = result.value("timestamp", std::int64_t{0});
  m.expires_at = result.value("expires_at", std::int64_t{0});
  if (m.retries > 0 && m.timestamp < m.first_retry_ms) m.retry_found_committed = true;
  const auto envelopes = result.find("envelopes");
  if (envelopes == result.end() || !envelopes->is_array()) {
    violations_.push_back(key + ": a send result without envelopes");
    return;
  }
  for (const auto& e : *envelopes) {
    m.seqs[e.value("device_id", std::uint32_t{0})] = e.value("seq", std::uint64_t{0});
  }
  if (m.seqs.size() != m.send.devices.size()) {
    violations_.push_back(key + ": the result names " + std::to_string(m.seqs.size()) +
                          " devices, the send " + std::to_string(m.send.devices.size()));
  }
}

void Ledger::refused(const std::string& key, const std::string& error) {
  Message& m = messages_.at(key);
  m.state = Message::State::kRefused;
  m.error = error;
  violations_.push_back(key + ": refused with " + error);
}

void Ledger::attachment_finished(const std::string& id, const std::string& owner,
                                 std::uint64_t size, const std::string& digest) {
  Attachment& a = attachments_[id];
  a.owner = owner;
  a.size = size;
  a.digest = digest;
}

void Ledger::attachment_checked(const std::string& id, AttachmentFate fate,
                                const std::string& detail) {
  Attachment& a = attachments_.at(id);
  a.fate = fate;
  a.detail = detail;
}

std::map<std::string, std::string> Ledger::attachment_owners() const {
  std::map<std::string, std::string> owners;
  for (const auto& [id, a] : attachments_) owners.emplace(id, a.owner);
  return owners;
}

std::uint64_t Ledger::attachment_size(const std::string& id) const {
  return attachments_.at(id).size;
}

const std::string& Ledger::attachment_digest(const std::string& id) const {
  return attachments_.at(id).digest;
}

void Ledger::delivered(const std::string& device, const nlohmann::json& envelope,
                       std::int64_t received_ms) {
  Delivery d;
  d.device = device;
  d.message = message_key(envelope.value("from", ""), envelope.value("message_id", ""));
  d.seq = envelope.value("seq", std::uint64_t{0});
  d.received_ms = received_ms;
  const auto ciphertext = base64_decode(envelope.value("ciphertext", ""));
  if (ciphertext) d.n = parse_crash_number(*ciphertext).value_or(0);
  const auto m = messages_.find(d.message);
  d.ciphertext_matches =
      ciphertext && m != messages_.end() && *ciphertext == m->second.send.ciphertext;
  const auto acked = acked_.find(device);
  if (acked != acked_.end() && acked->second.count(d.seq) > 0) {
    ++redelivered_after_ack_;
    violations_.push_back(device + ": seq " + std::to_string(d.seq) + " (" + d.message +
                          ") delivered again after its ack was answered");
  }
  deliveries_.push_back(std::move(d));
}

void Ledger::acked(const std::string& device, const std::vector<std::uint64_t>& seqs) {
  acked_[device].insert(seqs.begin(), seqs.end());
}

void Ledger::violation(const std::string& what) { violations_.push_back(what); }

// The promises checked, from docs/protocol.md:
// - Every accepted send is delivered to every device its result names, with the seq the
//   result gave it, unless it vanished first (expires_at before the final drain): nothing
//   acknowledged is lost, crashes included.
// - The server stores one accepted send once: every delivery of it to a device carries the
//   same seq (a retry is answered from the first result, never stored again). A send whose
//   reply was lost and that was then not retried would be "unknown": delivered at most once.
// - Redelivery is the at-least-once window and is allowed only until the ack's reply: an
//   envelope delivered after the reply to its ack (recorded as it arrives) is a violation.
// - Per device, the first deliveries of one sender's messages come in the order sent.
// - No envelope arrives at or after its expires_at (allowing kExpirySlackMs).
// - Every ciphertext arrives exactly as sent, to a device the send addressed.
// - An attachment whose finish was answered is complete, with the bytes uploaded, or -
//   only when a vanishing message carried it - absent; never truncated or different.
nlohmann::ordered_json Ledger::check(std::int64_t drained_ms) const {
  std::vector<std::string> violations = violations_;
  std::uint64_t accepted = 0, refused = 0, unknown = 0, retries = 0, retries_committed = 0;
  std::uint64_t addressed = 0, delivered = 0, redelivered = 0, expired_dropped = 0;
  std::uint64_t unknown_delivered = 0, deferred = 0, deferred_accepted = 0, full_replies = 0;
  for (const auto& [key, m] : messages_) {
    retries += m.retries;
    full_replies += m.deferrals;
    if (m.deferrals > 0) {
      ++deferred;
      if (m.state == Message::State::kAccepted) ++deferred_accepted;
    }
    if (m.retry_found_committed) ++retries_committed;
    if (m.state == Message::State::kAccepted) ++accepted;
    if (m.state == Message::State::kRefused) ++refused;
    if (m.state == Message::State::kUnknown) ++unknown;
  }

  // Deliveries by (device, message), in arrival order.
  std::map<std::pair<std::string, std::string>, std::vector<const Delivery*>> by_copy;
  for (const Delivery& d : deliveries_) {
    by_copy[{d.device, d.message}].push_back(&d);
    const auto m = messages_.find(d.message);
    if (m == messages_.end()) {
      violations.push_back(d.device + ": delivered " + d.message + ", which was never sent");
      continue;
    }
    if (!d.ciphertext_matches || d.n != m->second.send.n) {
      violations.push_back(d.device + ": " + d.message + " arrived with another ciphertext");
    }
    if (m->second.expires_at > 0 && d.received_ms >= m->second.expires_at + kExpirySlackMs) {
      violations.push_back(d.device + ": " + d.message + " delivered " +
                           std::to_string(d.received_ms - m->second.expires_at) +
                           " ms after its expires_at");
    }
  }
  for (const auto& [copy, list] : by_copy) {
    const auto& [device, key] = copy;
    const auto m = messages_.find(key);
    if (m == messages_.end()) continue;
    for (const Delivery* d : list) {
      if (d->seq != list.front()->seq) {
        violations.push_back(device + ": " + key + " stored twice, seqs " +
                             std::to_string(list.front()->seq) + " and " + std::to_string(d->seq));
        break;
      }
    }
    redelivered += list.size() - 1;
    if (m->second.state == Message::State::kUnknown) ++unknown_delivered;
    if (m->second.state != Message::State::kAccepted) continue;
    const auto slash = device.rfind('/');
    const auto device_id = static_cast<std::uint32_t>(std::stoul(device.substr(slash + 1)));
    const auto seq = m->second.seqs.find(device_id);
    if (device.substr(0, slash) != m->second.send.to || seq == m->second.seqs.end()) {
      violations.push_back(device + ": " + key + " delivered to a device it was not sent to");
    } else if (seq->second != list.front()->seq) {
      violations.push_back(device + ": " + key + " delivered with seq " +
                           std::to_string(list.front()->seq) + ", accepted with " +
                           std::to_string(seq->second));
    }
  }
  for (const auto& [key, m] : messages_) {
    if (m.state != Message::State::kAccepted) continue;
    for (const auto& [device_id, seq] : m.seqs) {
      ++addressed;
      const std::string device = device_key(m.send.to, device_id);
      if (by_copy.count({device, key}) > 0) {
        ++delivered;
      } else if (m.expires_at > 0 && m.expires_at <= drained_ms + kExpirySlackMs) {
        ++expired_dropped;
      } else {
        violations.push_back(device + ": " + key + " (seq " + std::to_string(seq) +
                             ") was accepted and never delivered");
      }
    }
  }

  // Order: the first delivery of each message, per device and sender.
  std::map<std::pair<std::string, std::string>, std::uint64_t> last_n;  // (device, from)
  std::set<std::pair<std::string, std::string>> seen;                   // (device, message)
  for (const Delivery& d : deliveries_) {
    if (!seen.insert({d.device, d.message}).second) continue;
    const auto m = messages_.find(d.message);
    if (m == messages_.end()) continue;
    std::uint64_t& last = last_n[{d.device, m->second.send.from}];
    if (m->second.send.n <= last) {
      violations.push_back(d.device + ": message " + std::to_string(m->second.send.n) + " of " +
                           m->second.send.from + " first delivered after message " +
                           std::to_string(last));
    }
    last = std::max(last, m->second.send.n);
  }

  std::set<std::string> vanishing_attachments;
  for (const auto& [key, m] : messages_) {
    if (!m.send.attachment.empty() && m.send.expires_in > 0) {
      vanishing_attachments.insert(m.send.attachment);
    }
  }
  std::map<std::string, std::uint64_t> fates;
  for (const auto& [id, a] : attachments_) {
    ++fates[fate_name(a.fate)];
    const bool may_be_absent = vanishing_attachments.count(id) > 0;
    if (a.fate == AttachmentFate::kCorrupt || a.fate == AttachmentFate::kUnchecked ||
        (a.fate == AttachmentFate::kAbsent && !may_be_absent)) {
      violations.push_back("attachment " + id + " of " + a.owner + " is " + fate_name(a.fate) +
                           (a.detail.empty() ? "" : ": " + a.detail));
    }
  }

  nlohmann::ordered_json summary;
  summary["sends_accepted"] = accepted;
  summary["sends_refused"] = refused;
  summary["sends_unknown"] = unknown;
  summary["unknown_delivered"] = unknown_delivered;
  summary["rewrites"] = retries;
  summary["retries_found_committed"] = retries_committed;
  summary["envelopes_addressed"] = addressed;
  summary["envelopes_delivered"] = delivered;
  summary["deliveries"] = deliveries_.size();
  summary["redelivered_before_ack"] = redelivered - redelivered_after_ack_;
  summary["redelivered_after_ack"] = redelivered_after_ack_;
  summary["expired_dropped"] = expired_dropped;
  // The disk-full drill (tests/crash/run.sh --tmpfs): sends refused for lack of space,
  // those of them accepted once space returned, and what reached devices meanwhile.
  summary["storage_full_replies"] = full_replies;
  summary["sends_deferred"] = deferred;
  summary["deferred_then_accepted"] = deferred_accepted;
  summary["delivered_while_full"] =
      first_full_ms_ == 0 ? 0
                          : std::count_if(deliveries_.begin(), deliveries_.end(),
                                          [this](const Delivery& d) {
                                            return d.received_ms >= first_full_ms_ &&
                                                   d.received_ms <= last_full_ms_;
                                          });
  summary["attachments_finished"] = attachments_.size();
  summary["attachments_complete"] = fates["complete"];
  summary["attachments_absent"] = fates["absent"];
  summary["attachments_corrupt"] = fates["corrupt"];
  summary["violations"] = violations.size();
  if (violations.size() > kMaxListedViolations) violations.resize(kMaxListedViolations);
  return {{"summary", summary}, {"violations", violations}};
}

nlohmann::ordered_json Ledger::to_json() const {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  for (const auto& [key, m] : messages_) {
    nlohmann::ordered_json seqs = nlohmann::ordered_json::object();
    for (const auto& [device, seq] : m.seqs) seqs[std::to_string(device)] = seq;
    messages.push_back({{"key", key},
                        {"to", m.send.to},
                        {"n", m.send.n},
                        {"state", m.state == Message::State::kAccepted  ? "accepted"
                                  : m.state == Message::State::kRefused ? "refused"
                                                                        : "unknown"},
                        {"timestamp", m.timestamp},
                        {"expires_at", m.expires_at},
                        {"attachment", m.send.attachment},
                        {"retries", m.retries},
                        {"seqs", seqs}});
  }
  nlohmann::ordered_json deliveries = nlohmann::ordered_json::array();
  for (const Delivery& d : deliveries_) {
    deliveries.push_back({{"device", d.device},
                          {"message", d.message},
                          {"seq", d.seq},
                          {"n", d.n},
                          {"received_ms", d.received_ms}});
  }
  nlohmann::ordered_json attachments = nlohmann::ordered_json::array();
  for (const auto& [id, a] : attachments_) {
    attachments.push_back({{"id", id},
                           {"owner", a.owner},
                           {"size", a.size},
                           {"digest", a.digest},
                           {"fate", fate_name(a.fate)},
                           {"detail", a.detail}});
  }
  return {{"messages", messages}, {"deliveries", deliveries}, {"attachments", attachments}};
}

}  // namespace xchat::bench
