// Mode crash: the client half of tests/crash/run.sh, which kills the server with SIGKILL at
// random moments and restarts it on the same data while this runs. --users accounts (every
// second one with a second device) each send to the next one, one send at a time: plain
// messages, vanishing ones with a 1-3 s timer, and ones carrying a small attachment
// uploaded just before. Every device receives and acknowledges, but for one second device
// that stays offline until the end: its queue lives through the kills, and its vanishing
// envelopes expire there. When the server dies,
// every device reconnects with backoff and logs in again, and a sender whose reply was lost
// sends the same frame again, same message_id, before anything new (docs/protocol.md, "On
// reconnect"). Everything seen goes into a Ledger.
//
// On SIGUSR1 (request_wind_down) the senders finish their current message and stop; then
// every device logs in once more and drains its queue (the final drain), every attachment
// is downloaded by its owner, and the ledger is checked. The report's details carry the
// ledger's summary and violations; the run fails if there is any violation.
#include <sodium.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fstream>
#include <random>

#include "crypto/random.hpp"
#include "load/attachment_client.hpp"
#include "load/bench_user.hpp"
#include "load/error_tally.hpp"
#include "load/inbox.hpp"
#include "load/ledger.hpp"
#include "load/scenario.hpp"
#include "xchat/base64.hpp"
#include "xchat/hex.hpp"
#include "xchat/signing.hpp"

namespace xchat::bench {

namespace {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto kFirstBackoff = milliseconds(50);
constexpr auto kMaxBackoff = milliseconds(1000);
// Between a sender's sends: enough load to keep the writer busy at every kill without
// filling the ledger faster than the checks can go through it.
constexpr auto kSendPause = milliseconds(5);
// After an `unavailable` reply (the store is busy or going down).
constexpr auto kRetryPause = milliseconds(200);
// After storage_full: the server looks at its free space at most every 500 ms.
constexpr auto kFullPause = milliseconds(250);
constexpr std::uint64_t kMaxAttachmentBytes = 64 * 1024;
constexpr std::int64_t kMaxExpiresIn = 3;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string digest_hex(std::string_view bytes) {
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size(), nullptr, 0);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

// An account: device 1, and for some a device 2 (same handle and identity, its own key).
struct Account {
  BenchUser first;
  std::optional<BenchUser> second;
};

// Failures that a killed server explains: the connection went, or never came.
bool is_outage(const std::string& error) {
  return error.find("connection_lost") != std::string::npos || error.rfind("connect:", 0) == 0 ||
         error.rfind("handshake:", 0) == 0 || error.find("connection closed") != std::string::npos;
}

// One device's session, kept up across server crashes: on a lost connection it opens a new
// one after a backoff (doubling up to kMaxBackoff) and logs in again, with a fresh Inbox
// that records every envelope and ack in the ledger. Lives on the scenario's one thread.
class Device {
 public:
  Device(net::io_context& ioc, const Endpoint& endpoint, const BenchUser& user, Ledger& ledger)
      : ioc_(ioc),
        endpoint_(endpoint),
        user_(user),
        key_(Ledger::device_key(user.handle, user.device_id)),
        ledger_(ledger),
        timer_(ioc) {}

  // Called after every successful login.
  void set_on_ready(std::function<void()> on_ready) { on_ready_ = std::move(on_ready); }

  void connect() {
    stopped_ = false;
    ready_ = false;
    queue_empty_ = false;
    auto conn = std::make_shared<Connection>(ioc_, endpoint_);
    retired_.push_back(std::move(inbox_));
    retired_conns_.push_back(conn_);
    conn_ = conn;
    inbox_ = std::make_unique<Inbox>(
        *conn_, inbox_errors_, key_,
        Inbox::Handlers{
            [this](const nlohmann::json& e) { ledger_.delivered(key_, e, unix_ms()); },
            [this] {
              queue_empty_ = true;
              queue_empty_ms_ = unix_ms();
            },
            [this](const std::vector<std::uint64_t>& seqs) { ledger_.acked(key_, seqs); }});
    conn_->set_error_handler([this, conn = conn.get()](std::string_view kind, const std::string&) {
      if (kind != "connection_lost" || conn != conn_.get()) return;
      ready_ = false;
      if (!stopped_) reconnect_later();
    });
    open_and_log_in(conn_, user_, false, [this, conn = conn.get()](const std::string& error) {
      if (conn != conn_.get()) return;
      if (!error.empty()) {
        if (!is_outage(error)) ledger_.violation(key_ + ": " + error);
        if (conn_->is_open()) conn_->close([] {});
        if (!stopped_) reconnect_later();
        return;
      }
      backoff_ = kFirstBackoff;
      ++logins_;
      ready_ = true;
      if (on_ready_) on_ready_();
    });
  }

  // Closes the session for good (until the next connect()).
  void stop() {
    stopped_ = true;
    ready_ = false;
    timer_.cancel();
    if (conn_ && conn_->is_open()) conn_->close([] {});
  }

  bool ready() const { return ready_; }
  bool queue_empty() const { return ready_ && queue_empty_; }
  std::int64_t queue_empty_ms() const { return queue_empty_ms_; }
  Connection& connection() { return *conn_; }
  const BenchUser& user() const { return user_; }
  const std::string& key() const { return key_; }
  std::size_t logins() const { return logins_; }
  // Inbox errors other than a lost connection: a seq out of order within one connection.
  const ErrorTally& inbox_errors() const { return inbox_errors_; }

 private:
  void reconnect_later() {
    timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, milliseconds(kMaxBackoff));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && !stopped_) connect();
    });
  }

  net::io_context& ioc_;
  const Endpoint endpoint_;
  const BenchUser& user_;
  const std::string key_;
  Ledger& ledger_;
  net::steady_timer timer_;
  std::function<void()> on_ready_;
  std::shared_ptr<Connection> conn_;
  std::unique_ptr<Inbox> inbox_;
  // Earlier connections and their inboxes: a failed connection's handlers may still run
  // once (ack replies answered "connection_lost"), so they are kept to the end of the run.
  std::vector<std::unique_ptr<Inbox>> retired_;
  std::vector<std::shared_ptr<Connection>> retired_conns_;
  ErrorTally inbox_errors_;
  milliseconds backoff_ = kFirstBackoff;
  bool stopped_ = false;
  bool ready_ = false;
  bool queue_empty_ = false;
  std::int64_t queue_empty_ms_ = 0;
  std::size_t logins_ = 0;
};

// Device 1 of an account, sending to the next account: one send awaiting its reply at a
// time. The message in hand (`pending_`) is kept until it gets a final reply, so a send
// whose reply was lost goes again, unchanged, once the device has logged in again.
class Sender {
 public:
  // `port`: the server's, for the attachment uploads over HTTP.
  Sender(net::io_context& ioc, Device& device, const Account& to, Ledger& ledger,
         std::uint16_t port, std::uint32_t seed)
      : device_(device), to_(to), ledger_(ledger), timer_(ioc), random_(seed), port_(port) {
    device_.set_on_ready([this] { step(); });
  }

  // Finish the message in hand, then stop.
  void wind_down() {
    winding_down_ = true;
    if (!busy_ && !pending_) done_ = true;
  }
  bool done() const { return done_; }

 private:
  struct Pending {
    Ledger::Send send;
    std::string key;
    bool wants_attachment = false;
    std::size_t writes = 0;
  };

  void step() {
    if (busy_ || done_ || !device_.ready()) return;
    if (!pending_) {
      if (winding_down_) {
        done_ = true;
        return;
      }
      pending_ = next_message();
    }
    if (pending_->wants_attachment && pending_->send.attachment.empty()) return upload();
    send();
  }

  void step_later(milliseconds pause) {
    timer_.expires_after(pause);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) step();
    });
  }

  Pending next_message() {
    Pending p;
    const BenchUser& me = device_.user();
    p.send.from = me.handle;
    p.send.to = to_.first.handle;
    p.send.message_id = base64_encode(crypto::random_bytes(16));
    p.send.n = ++sent_;
    p.send.devices.push_back(1);
    if (to_.second) p.send.devices.push_back(2);
    const int kind = std::uniform_int_distribution<int>(0, 9)(random_);
    if (kind < 2)
      p.send.expires_in = std::uniform_int_distribution<std::int64_t>(1, kMaxExpiresIn)(random_);
    // Kind 1 both vanishes and carries an attachment, which vanishes with it.
    p.wants_attachment = kind >= 1 && kind < 4;
    p.key = Ledger::message_key(p.send.from, p.send.message_id);
    return p;
  }

  // attachment.upload_token, then the HTTP upload (blocking: a few KiB on loopback), then
  // the send. A failure leaves the message without an attachment: the next step uploads a
  // new one (the unfinished upload is the server's to expire).
  void upload() {
    busy_ = true;
    const bool sent = device_.connection().request(
        R"("type":"attachment.upload_token")", [this](const nlohmann::json& reply) {
          busy_ = false;
          const auto result = reply.find("result");
          if (result == reply.end()) {
            const std::string code = error_code_of(reply);
            if (code != "connection_lost") {
              ledger_.violation(device_.key() +
                                ": attachment.upload_token: " + error_text_of(reply));
              step_later(kRetryPause);
            }
            return;
          }
          const std::string token = result->value("token", "");
          const auto size =
              std::uniform_int_distribution<std::uint64_t>(1, kMaxAttachmentBytes)(random_);
          const std::string bytes = crypto::random_bytes(size);
          try {
            AttachmentClient http(port_, milliseconds(5000));
            const std::string id = http.create(token, size);
            http.upload(token, id, size, bytes);
            http.finish(token, id);
            ledger_.attachment_finished(id, device_.user().handle, size, digest_hex(bytes));
            pending_->send.attachment = id;
          } catch (const std::exception&) {
            // The server went down mid-upload; the device reconnects and step() runs again.
            step_later(kRetryPause);
            return;
          }
          step();
        });
    if (!sent) busy_ = false;
  }

  void send() {
    Pending& p = *pending_;
    if (p.send.ciphertext.empty()) {
      p.send.ciphertext =
          make_crash_ciphertext(p.send.from, p.send.n, p.send.attachment,
                                std::uniform_int_distribution<std::size_t>(8, 200)(random_));
    }
    nlohmann::json frame = {{"type", "send"}, {"to", p.send.to}, {"message_id", p.send.message_id}};
    auto& envelopes = frame["envelopes"] = nlohmann::json::array();
    for (const auto device_id : p.send.devices) {
      envelopes.push_back(
          {{"device_id", device_id}, {"ciphertext", base64_encode(p.send.ciphertext)}});
    }
    if (p.send.expires_in > 0) frame["expires_in"] = p.send.expires_in;
    if (!p.send.attachment.empty()) frame["attachments"] = {p.send.attachment};
    busy_ = true;
    const bool sent =
        device_.connection().request_object(frame, [this](const nlohmann::json& reply) {
          busy_ = false;
          const auto result = reply.find("result");
          if (result != reply.end()) {
            ledger_.accepted(pending_->key, *result);
            pending_.reset();
            if (winding_down_) {
              done_ = true;
              return;
            }
            return step_later(kSendPause);
          }
          const std::string code = error_code_of(reply);
          if (code == "connection_lost") return;  // the device's next login calls step()
          if (code == "unavailable" || code == "rate_limited") return step_later(kRetryPause);
          if (code == "storage_full") {
            ledger_.deferred(pending_->key, unix_ms());
            return step_later(kFullPause);
          }
          ledger_.refused(pending_->key, error_text_of(reply));
          pending_.reset();
          step_later(kSendPause);
        });
    if (!sent) {
      busy_ = false;
      return;
    }
    if (p.writes++ == 0) {
      ledger_.attempted(p.send);
    } else {
      ledger_.retried(p.key, unix_ms());
    }
  }

  Device& device_;
  const Account& to_;
  Ledger& ledger_;
  net::steady_timer timer_;
  std::mt19937 random_;
  const std::uint16_t port_;
  std::optional<Pending> pending_;
  std::uint64_t sent_ = 0;
  bool busy_ = false;
  bool winding_down_ = false;
  bool done_ = false;
};

// Runs the io_context until `done` holds or `deadline` passes; false on the deadline or an
// interrupt.
bool run_until(net::io_context& ioc, const std::function<bool()>& done,
               Clock::time_point deadline) {
  while (!done()) {
    if (interrupted() || Clock::now() >= deadline) return false;
    ioc.run_for(milliseconds(20));
    if (ioc.stopped()) ioc.restart();
  }
  return true;
}

// Registers `account` (and adds its second device), one request after the other on a
// connection of its own; throws on failure. Runs before any kill.
void set_up(net::io_context& ioc, const Endpoint& endpoint, const Account& account,
            Clock::time_point deadline) {
  auto conn = std::make_shared<Connection>(ioc, endpoint);
  std::optional<std::string> outcome;
  open_and_log_in(conn, account.first, true, [&](const std::string& error) {
    if (!error.empty() || !account.second) {
      outcome = error;
      return;
    }
    const BenchUser& second = *account.second;
    const std::string binding =
        device_binding_message(second.handle_key, second.device_id, second.device.public_key);
    conn->request_object(
        {{"type", "device.add"},
         {"device",
          {{"id", second.device_id},
           {"key", base64_encode(second.device.public_key)},
           {"signature", base64_encode(account.first.identity.sign(binding))}}}},
        [&](const nlohmann::json& reply) {
          outcome = reply.contains("result") ? "" : "device.add: " + error_text_of(reply);
        });
  });
  if (!run_until(
          ioc, [&] { return outcome.has_value(); }, deadline)) {
    throw std::runtime_error("setting up " + account.first.handle + " timed out");
  }
  if (!outcome->empty()) throw std::runtime_error(account.first.handle + ": " + *outcome);
  bool closed = false;
  conn->close([&] { closed = true; });
  run_until(
      ioc, [&] { return closed; }, deadline);
}

}  // namespace

Outcome run_crash(const Settings& settings, const Target& target) {
  Outcome out;
  net::io_context ioc;
  Ledger ledger;
  std::mt19937 random(settings.seed);
  const std::string tag = make_run_tag();

  std::vector<Account> accounts;
  accounts.reserve(settings.users);
  for (std::size_t i = 0; i < settings.users; ++i) {
    Account a{BenchUser(bench_handle(tag, 'c', i)), std::nullopt};
    if (i % 2 == 1) {
      a.second = a.first;
      a.second->device_id = 2;
      a.second->device = KeyPair::generate();
    }
    accounts.push_back(std::move(a));
  }
  const auto started = Clock::now();
  try {
    for (const Account& a : accounts) set_up(ioc, target.endpoint, a, phase_deadline(settings));
  } catch (const std::exception& e) {
    out.failure = std::string("setup: ") + e.what();
    return out;
  }

  std::vector<std::unique_ptr<Device>> devices;
  std::vector<std::unique_ptr<Sender>> senders;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    devices.push_back(std::make_unique<Device>(ioc, target.endpoint, accounts[i].first, ledger));
    senders.push_back(
        std::make_unique<Sender>(ioc, *devices.back(), accounts[(i + 1) % accounts.size()], ledger,
                                 target.endpoint.port, static_cast<std::uint32_t>(random())));
    if (accounts[i].second) {
      devices.push_back(
          std::make_unique<Device>(ioc, target.endpoint, *accounts[i].second, ledger));
    }
  }
  // The last second device stays away until the final drain, so that its queue outlives
  // kills and its vanishing envelopes expire there, undelivered - or until the first
  // storage_full reply, to show that a full disk still delivers what it holds.
  Device* absent = nullptr;
  for (auto& d : devices) {
    if (d->user().device_id == 2) absent = d.get();
  }
  for (auto& d : devices) {
    if (d.get() != absent) d->connect();
  }
  const auto all = [&](auto pred) {
    return [&devices, pred] {
      return std::all_of(devices.begin(), devices.end(), [&](const auto& d) { return pred(*d); });
    };
  };
  if (!run_until(ioc, all([absent](const Device& d) { return &d == absent || d.ready(); }),
                 phase_deadline(settings))) {
    out.failure = "not every device logged in";
    return out;
  }
  progress("load running: " + std::to_string(accounts.size()) + " accounts, " +
           std::to_string(devices.size()) + " devices");

  // The load, until SIGUSR1.
  while (!wind_down_requested() && !interrupted()) {
    if (absent != nullptr && ledger.storage_full_seen()) {
      absent->connect();
      absent = nullptr;
    }
    ioc.run_for(milliseconds(100));
    if (ioc.stopped()) ioc.restart();
  }
  if (interrupted()) {
    out.failure = "interrupted";
    return out;
  }
  progress("winding down");
  for (auto& s : senders) s->wind_down();
  if (!run_until(
          ioc,
          [&] {
            return std::all_of(senders.begin(), senders.end(),
                               [](const auto& s) { return s->done(); });
          },
          phase_deadline(settings))) {
    out.failure = "the senders did not finish their last messages";
  }

  // The final drain: every device logs in once more and receives what is queued.
  for (auto& d : devices) d->stop();
  ioc.run_for(milliseconds(200));
  if (ioc.stopped()) ioc.restart();
  for (auto& d : devices) d->connect();
  if (!run_until(ioc, all([](const Device& d) { return d.queue_empty(); }),
                 phase_deadline(settings)) &&
      out.failure.empty()) {
    out.failure = "the final drain did not reach queue_empty on every device";
  }
  std::int64_t drained_ms = 0;
  for (auto& d : devices) drained_ms = std::max(drained_ms, d->queue_empty_ms());
  // The acks of the last pushes, so that their replies are in the ledger.
  ioc.run_for(milliseconds(500));
  if (ioc.stopped()) ioc.restart();

  // Every attachment, downloaded by its owner's device 1.
  for (const auto& [id, owner] : ledger.attachment_owners()) {
    Device* device = nullptr;
    for (auto& d : devices) {
      if (d->user().handle == owner && d->user().device_id == 1) device = d.get();
    }
    if (device == nullptr || !device->ready()) continue;
    std::optional<nlohmann::json> reply;
    device->connection().request_object({{"type", "attachment.download_token"}, {"attachment", id}},
                                        [&](const nlohmann::json& r) { reply = r; });
    if (!run_until(
            ioc, [&] { return reply.has_value(); }, phase_deadline(settings)))
      break;
    if (error_code_of(*reply) == "not_found") {
      ledger.attachment_checked(id, Ledger::AttachmentFate::kAbsent, "");
      continue;
    }
    if (!reply->contains("result")) {
      ledger.attachment_checked(id, Ledger::AttachmentFate::kUnchecked, error_text_of(*reply));
      continue;
    }
    const std::string token = (*reply)["result"].value("token", "");
    try {
      AttachmentClient http(target.endpoint.port, milliseconds(5000));
      const auto bytes = http.fetch(token, id, kMaxAttachmentBytes);
      if (!bytes) {
        ledger.attachment_checked(id, Ledger::AttachmentFate::kAbsent, "404 on download");
      } else if (bytes->size() != ledger.attachment_size(id) ||
                 digest_hex(*bytes) != ledger.attachment_digest(id)) {
        ledger.attachment_checked(id, Ledger::AttachmentFate::kCorrupt,
                                  std::to_string(bytes->size()) + " bytes, not the ones uploaded");
      } else {
        ledger.attachment_checked(id, Ledger::AttachmentFate::kComplete, "");
      }
    } catch (const std::exception& e) {
      ledger.attachment_checked(id, Ledger::AttachmentFate::kCorrupt, e.what());
    }
  }
  for (auto& d : devices) d->stop();
  ioc.run_for(milliseconds(200));

  for (auto& d : devices) {
    const nlohmann::ordered_json kinds = d->inbox_errors().by_kind();
    for (auto it = kinds.begin(); it != kinds.end(); ++it) {
      if (it.key() != "connection_lost") {
        ledger.violation(d->key() + ": " + it.value().dump() + " x " + it.key());
      }
    }
  }
  auto verdict = ledger.check(drained_ms);
  std::size_t logins = 0;
  for (auto& d : devices) logins += d->logins();
  out.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  out.delivered = verdict["summary"]["envelopes_delivered"].get<std::uint64_t>();
  out.details["users"] = accounts.size();
  out.details["devices"] = devices.size();
  out.details["logins"] = logins;
  out.details["summary"] = verdict["summary"];
  out.details["violations"] = verdict["violations"];
  if (!settings.ledger.empty()) std::ofstream(settings.ledger) << ledger.to_json().dump(1) << "\n";
  progress("checked: " + std::to_string(logins) + " logins, " + std::to_string(devices.size()) +
           " devices");
  for (auto it = verdict["summary"].begin(); it != verdict["summary"].end(); ++it) {
    progress("  " + it.key() + ": " + it.value().dump());
  }
  for (const auto& v : verdict["violations"]) progress("  VIOLATION " + v.get<std::string>());
  const auto violations = verdict["summary"]["violations"].get<std::uint64_t>();
  if (violations > 0 && out.failure.empty()) {
    out.failure = std::to_string(violations) +
                  " violations, the first: " + verdict["violations"][0].get<std::string>();
  }
  return out;
}

}  // namespace xchat::bench
