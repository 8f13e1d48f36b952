#include "cli/commands.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/progress_bar.hpp"
#include "cli/terminal.hpp"
#include "messenger/byte_size.hpp"
#include "messenger/duration.hpp"
#include "messenger/messenger.hpp"
#include "xchat/base64.hpp"
#include "xchat/error_code.hpp"

namespace xchat::client::cli {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t interrupted = 0;

void on_interrupt(int) { interrupted = 1; }

// Ctrl-C ends listen and chat cleanly (the terminal restored, the connection closed).
void catch_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

int fail(const GlobalOptions& g, int code, const Status& status) {
  if (g.json) {
    std::cout << json{{"error", to_string(status.code())}, {"message", status.message()}}.dump()
              << '\n';
  } else {
    std::cerr << "xchat: " << status.message();
    if (code == kRefused) std::cerr << " (" << to_string(status.code()) << ")";
    std::cerr << '\n';
  }
  return code;
}

// A failure of a request to the server.
int refused(const GlobalOptions& g, const Status& status) {
  return fail(g, status.code() == ErrorCode::kUnavailable ? kUnreachable : kRefused, status);
}

std::optional<std::string> passphrase(bool confirm) {
  if (const char* env = std::getenv("XCHAT_PASSPHRASE"); env != nullptr) return std::string(env);
  auto first = prompt_secret("Passphrase for your xchat keys: ");
  if (!first || !confirm) return first;
  auto second = prompt_secret("Again: ");
  if (!second || *second != *first) return std::nullopt;
  return first;
}

MessengerOptions messenger_options(const GlobalOptions& g, std::string pass) {
  MessengerOptions o;
  o.home = g.home;
  o.passphrase = std::move(pass);
  o.timeout = std::chrono::seconds(g.timeout_seconds);
  o.connect.ca_file = g.ca_file;
  return o;
}

// Opens the account; on failure prints why and sets `exit_code`.
std::unique_ptr<Messenger> open(const GlobalOptions& g, int& exit_code) {
  auto pass = passphrase(false);
  if (!pass) {
    exit_code = fail(
        g, kLocal,
        Status(ErrorCode::kBadRequest, "no passphrase: set XCHAT_PASSPHRASE or run in a terminal"));
    return nullptr;
  }
  auto m = Messenger::open(messenger_options(g, *pass));
  if (!m) {
    const Status& s = m.status();
    const bool local = s.message() == "wrong passphrase" || s.code() == ErrorCode::kNotFound;
    exit_code = fail(g,
                     s.code() == ErrorCode::kUnavailable ? kUnreachable
                     : local                             ? kLocal
                                                         : kRefused,
                     s);
    return nullptr;
  }
  return std::move(*m);
}

std::string clock_time(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char out[16];
  std::strftime(out, sizeof out, "%H:%M:%S", &tm);
  return out;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Seconds until `expires_at` (ms), rounded up: a message shown as vanishing in 1s is there.
std::int64_t seconds_left(std::int64_t expires_at) {
  return std::max<std::int64_t>(0, (expires_at - now_ms() + 999) / 1000);
}

// Message ids are shown and typed in base64 (24 characters), as the protocol writes them.
std::string message_id_text(std::string_view id) { return base64_encode(id); }

Result<std::string> parse_message_id(std::string_view text) {
  auto id = base64_decode(text);
  if (!id || id->size() != 16) {
    return Status(ErrorCode::kBadRequest,
                  "not a message id: '" + std::string(text) +
                      "' (the 24 characters that `xchat send` and `xchat history` print)");
  }
  return std::move(*id);
}

// A --vanish value: nothing when empty (the conversation's timer applies).
Result<std::optional<std::uint32_t>> parse_vanish(const std::string& vanish) {
  if (vanish.empty()) return std::optional<std::uint32_t>();
  auto seconds = parse_duration(vanish);
  if (!seconds) return seconds.status();
  return std::optional<std::uint32_t>(*seconds);
}

// How a file message reads: "[file] report.pdf (1.20 MiB)".
std::string file_text(const FileAttachment& f) {
  return "[file] " + f.name + " (" + format_bytes(f.plaintext_size) + ")";
}

json file_json(const FileAttachment& f) {
  return {{"name", f.name}, {"size", f.plaintext_size}, {"media_type", f.media_type}};
}

std::string timer_text(std::uint32_t seconds) {
  return seconds == 0 ? "off" : format_duration(seconds);
}

const char* state_name(HistoryEntry::State s) {
  switch (s) {
    case HistoryEntry::State::kSent:
      return "sent";
    case HistoryEntry::State::kDelivered:
      return "delivered";
    case HistoryEntry::State::kRead:
      return "read";
    case HistoryEntry::State::kReceived:
      return "received";
  }
  return "?";
}

json event_json(const Event& e) {
  json j = {{"peer", e.peer}, {"device", e.device}};
  switch (e.kind) {
    case Event::Kind::kMessage:
      j["event"] = "message";
      j["message_id"] = message_id_text(e.message_id);
      j["timestamp"] = e.timestamp_ms;
      j["text"] = e.text;
      if (e.file) j["file"] = file_json(*e.file);
      j["request"] = e.request;
      j["from_me"] = e.from_me;
      if (e.expires_at != 0) j["expires_at"] = e.expires_at;
      break;
    case Event::Kind::kEdited:
      j["event"] = "edited";
      j["message_id"] = message_id_text(e.message_id);
      j["timestamp"] = e.timestamp_ms;
      j["text"] = e.text;
      j["from_me"] = e.from_me;
      break;
    case Event::Kind::kUnsent:
      j["event"] = "unsent";
      j["message_id"] = message_id_text(e.message_id);
      j["from_me"] = e.from_me;
      break;
    case Event::Kind::kTimer:
      j["event"] = "timer";
      j["seconds"] = e.seconds;
      j["from_me"] = e.from_me;
      break;
    case Event::Kind::kReceipt: {
      j["event"] = "receipt";
      j["state"] = state_name(e.receipt);
      json ids = json::array();
      for (const auto& id : e.receipt_ids) ids.push_back(message_id_text(id));
      j["message_ids"] = std::move(ids);
      break;
    }
    case Event::Kind::kTyping:
      j["event"] = "typing";
      j["started"] = e.started;
      break;
    case Event::Kind::kWarning:
      j["event"] = "warning";
      j["text"] = e.text;
      break;
    case Event::Kind::kIdentityChanged:
      j["event"] = "identity_changed";
      j["text"] = e.text;
      break;
    case Event::Kind::kQueueEmpty:
      j = {{"event", "queue_empty"}};
      break;
  }
  return j;
}

// The text line for an event; nothing for events a person need not see.
std::optional<std::string> event_text(const Event& e) {
  switch (e.kind) {
    case Event::Kind::kMessage: {
      std::string notes =
          e.expires_at != 0 ? "  (vanishes in " + format_duration(seconds_left(e.expires_at)) + ")"
                            : "";
      if (e.file) notes += "  -> xchat get-file " + message_id_text(e.message_id);
      const std::string text = e.file ? file_text(*e.file) : e.text;
      if (e.from_me) return clock_time(e.timestamp_ms) + " you -> " + e.peer + ": " + text + notes;
      return clock_time(e.timestamp_ms) + " " + e.peer + (e.request ? " (request)" : "") + ": " +
             text + notes;
    }
    case Event::Kind::kEdited:
      return clock_time(e.timestamp_ms) + " " + (e.from_me ? "you -> " + e.peer : e.peer) +
             " (edited): " + e.text;
    case Event::Kind::kUnsent:
      return e.from_me ? "you unsent a message to " + e.peer : e.peer + " unsent a message";
    case Event::Kind::kTimer:
      return (e.from_me ? "you set" : e.peer + " set") + std::string(" vanishing messages") +
             (e.from_me ? " with " + e.peer : std::string()) + " to " + timer_text(e.seconds);
    case Event::Kind::kReceipt:
      return e.peer + " " + state_name(e.receipt) + " " + std::to_string(e.receipt_ids.size()) +
             (e.receipt_ids.size() == 1 ? " message" : " messages");
    case Event::Kind::kTyping:
      return e.started ? std::optional<std::string>(e.peer + " is typing...") : std::nullopt;
    case Event::Kind::kWarning:
    case Event::Kind::kIdentityChanged:
      return "! " + e.text;
    case Event::Kind::kQueueEmpty:
      return std::nullopt;
  }
  return std::nullopt;
}

// Prints events (through `reader` when a line is being typed) and returns, per peer, the
// messages that were shown: they have been read.
std::map<std::string, std::vector<std::string>> show(const GlobalOptions& g,
                                                     const std::vector<Event>& events,
                                                     LineReader* reader = nullptr) {
  std::map<std::string, std::vector<std::string>> read;
  for (const auto& e : events) {
    std::optional<std::string> line = g.json ? std::optional(event_json(e).dump()) : event_text(e);
    if (line) {
      if (reader != nullptr) {
        reader->print(*line);
      } else {
        std::cout << *line << '\n' << std::flush;
      }
    }
    if (e.kind == Event::Kind::kMessage && !e.from_me) read[e.peer].push_back(e.message_id);
  }
  return read;
}

// What send, edit and unsend print: `what` happened (text), or the server's answer (JSON).
void print_sent(const GlobalOptions& g, const std::string& what, const Sent& sent) {
  if (g.json) {
    json j = {{"message_id", message_id_text(sent.message_id)},
              {"timestamp", sent.timestamp_ms},
              {"devices", sent.devices}};
    if (sent.expires_at != 0) j["expires_at"] = sent.expires_at;
    std::cout << j.dump() << '\n';
    return;
  }
  std::cout << what << " (" << sent.devices << (sent.devices == 1 ? " device" : " devices")
            << "), message id " << message_id_text(sent.message_id);
  if (sent.expires_at != 0) {
    std::cout << ", vanishes in " << format_duration(seconds_left(sent.expires_at));
  }
  std::cout << '\n';
}

// One line of `history` (and of the conversation `chat` starts with).
std::string history_line(const HistoryEntry& h, const std::string& peer) {
  const bool out = h.direction == HistoryEntry::Direction::kOut;
  std::string notes = out ? state_name(h.state) : "";
  if (h.edited) notes += std::string(notes.empty() ? "" : ", ") + "edited";
  if (h.expires_at != 0) {
    notes += std::string(notes.empty() ? "" : ", ") + "vanishes in " +
             format_duration(seconds_left(h.expires_at));
  }
  return clock_time(h.timestamp_ms) + " " + (out ? "you" : peer) + ": " +
         (h.file ? file_text(*h.file) + (h.text.empty() ? "" : " " + h.text) : h.text) +
         (notes.empty() ? "" : "  (" + notes + ")") + "  [" + message_id_text(h.message_id) + "]";
}

void send_read_receipts(Messenger& m, const std::map<std::string, std::vector<std::string>>& read) {
  for (const auto& [peer, ids] : read) m.send_read_receipt(peer, ids);
}

}  // namespace

int init(const GlobalOptions& g, const std::string& server, const std::string& handle,
         std::uint32_t device, const std::string& invite, const std::string& link_file,
         const std::string& code) {
  auto pass = passphrase(true);
  if (!pass) {
    return fail(g, kLocal,
                Status(ErrorCode::kBadRequest,
                       "no passphrase (or the two did not match): set XCHAT_PASSPHRASE or run "
                       "in a terminal"));
  }
  Result<std::unique_ptr<Messenger>> m = Status(ErrorCode::kInternal, "");
  if (!link_file.empty()) {
    std::ifstream in(link_file, std::ios::binary);
    if (!in) return fail(g, kLocal, Status(ErrorCode::kNotFound, "cannot read " + link_file));
    const std::string package{std::istreambuf_iterator<char>(in), {}};
    m = Messenger::link(messenger_options(g, *pass), package, code);
  } else {
    if (server.empty() || handle.empty()) {
      return fail(g, kUsage,
                  Status(ErrorCode::kBadRequest, "init needs --server and --handle (or --link)"));
    }
    m = Messenger::init(messenger_options(g, *pass), server, handle, device, invite);
  }
  if (!m) return refused(g, m.status());
  if (g.json) {
    std::cout << json{{"handle", (*m)->handle()}, {"device_id", (*m)->device_id()}}.dump() << '\n';
  } else {
    std::cout << "Ready: " << (*m)->handle() << " device " << (*m)->device_id()
              << ". Your keys are in " << g.home << ", locked by your passphrase.\n";
  }
  return kOk;
}

int send(const GlobalOptions& g, const std::string& to, const std::string& text,
         const std::string& vanish) {
  const auto expires_in = parse_vanish(vanish);
  if (!expires_in) return fail(g, kUsage, expires_in.status());
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  // A changed identity key is shown before the message goes.
  if (auto changed = m->identity_changed(to); !changed) return refused(g, changed.status());
  show(g, m->receive(std::chrono::milliseconds(0)));
  auto sent = m->send_text(to, text, *expires_in);
  show(g, m->receive(std::chrono::milliseconds(0)));
  if (!sent) return refused(g, sent.status());
  print_sent(g, "sent to " + to, *sent);
  return kOk;
}

int send_file(const GlobalOptions& g, const std::string& to, const std::string& path,
              const std::string& vanish) {
  const auto expires_in = parse_vanish(vanish);
  if (!expires_in) return fail(g, kUsage, expires_in.status());
  // Checked before the passphrase is asked for: a typo should not cost a login.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return fail(g, kLocal, Status(ErrorCode::kNotFound, "no file to send at " + path));
  }
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  if (auto changed = m->identity_changed(to); !changed) return refused(g, changed.status());
  show(g, m->receive(std::chrono::milliseconds(0)));
  const std::string name = std::filesystem::path(path).filename().string();
  Result<Sent> sent = Status::ok();
  {
    ProgressBar bar("sending " + name);
    sent = m->send_file(to, path, *expires_in,
                        [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
  }
  show(g, m->receive(std::chrono::milliseconds(0)));
  if (!sent) return refused(g, sent.status());
  print_sent(
      g,
      "sent " + name + " (" + format_bytes(static_cast<std::uint64_t>(st.st_size)) + ") to " + to,
      *sent);
  return kOk;
}

int get_file(const GlobalOptions& g, const std::string& message_id, const std::string& path,
             bool force) {
  auto id = parse_message_id(message_id);
  if (!id) return fail(g, kUsage, id.status());
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  auto message = m->file_message(*id);
  if (!message) {
    // It may still be on its way: take what the server holds for this device first.
    for (int round = 0; round < 6 && !message; ++round) {
      const auto events = m->receive(std::chrono::milliseconds(500));
      show(g, events);
      message = m->file_message(*id);
      if (std::any_of(events.begin(), events.end(),
                      [](const Event& e) { return e.kind == Event::Kind::kQueueEmpty; })) {
        break;
      }
    }
  }
  if (!message) {
    return fail(
        g, kLocal,
        Status(ErrorCode::kNotFound, "no file message " + message_id +
                                         " on this device (`xchat history @h` lists them)"));
  }
  const FileAttachment& file = *message->file;
  std::string target = path.empty() ? file.name : path;
  if (std::error_code ec; std::filesystem::is_directory(target, ec)) {
    target = (std::filesystem::path(target) / file.name).string();
  }
  auto out = PendingFile::create(target, force);
  if (!out) return fail(g, kLocal, out.status());
  Status fetched;
  {
    ProgressBar bar("receiving " + file.name);
    fetched = m->fetch_file(
        *message, **out, [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
  }
  if (!fetched) {
    const Status& s = fetched;
    switch (s.code()) {
      case ErrorCode::kBadSignature:
        return fail(g, kUnverified, Status(s.code(), s.message() + "; nothing was saved"));
      case ErrorCode::kInternal:  // writing the file failed
        return fail(g, kLocal, s);
      default:
        return refused(g, s);
    }
  }
  if (Status s = (*out)->commit(); !s) return fail(g, kLocal, s);
  if (g.json) {
    json j = file_json(file);
    j["message_id"] = message_id_text(message->message_id);
    j["path"] = target;
    std::cout << j.dump() << '\n';
  } else {
    std::cout << "saved " << file.name << " (" << format_bytes(file.plaintext_size) << ") to "
              << target << '\n';
  }
  return kOk;
}

int timer(const GlobalOptions& g, const std::string& peer, const std::string& value) {
  std::optional<std::uint32_t> seconds;
  if (value == "off") {
    seconds = 0;
  } else if (!value.empty()) {
    auto parsed = parse_duration(value);
    if (!parsed) return fail(g, kUsage, parsed.status());
    seconds = *parsed;
  }
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  if (seconds) {
    if (Status s = m->set_timer(peer, *seconds); !s) return refused(g, s);
  }
  const std::uint32_t current = m->timer(peer);
  if (g.json) {
    std::cout << json{{"peer", peer}, {"seconds", current}}.dump() << '\n';
  } else {
    std::cout << "vanishing messages with " << peer << ": " << timer_text(current) << '\n';
  }
  return kOk;
}

int unsend(const GlobalOptions& g, const std::string& peer, const std::string& message_id) {
  auto id = parse_message_id(message_id);
  if (!id) return fail(g, kUsage, id.status());
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  auto sent = m->unsend(peer, *id);
  if (!sent) return refused(g, sent.status());
  print_sent(g, "unsent from " + peer, *sent);
  return kOk;
}

int edit(const GlobalOptions& g, const std::string& peer, const std::string& message_id,
         const std::string& text) {
  auto id = parse_message_id(message_id);
  if (!id) return fail(g, kUsage, id.status());
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  auto sent = m->edit(peer, *id, text);
  if (!sent) return refused(g, sent.status());
  print_sent(g, "edit sent to " + peer, *sent);
  return kOk;
}

int listen(const GlobalOptions& g, double seconds) {
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  catch_interrupts();
  const auto end =
      Clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  while (interrupted == 0 && (seconds <= 0 || Clock::now() < end)) {
    send_read_receipts(*m, show(g, m->receive(std::chrono::milliseconds(500))));
  }
  return kOk;
}

int chat(const GlobalOptions& g, const std::string& peer) {
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  if (auto changed = m->identity_changed(peer); !changed) return refused(g, changed.status());
  catch_interrupts();
  LineReader reader;
  if (!g.json) {
    for (const auto& h : m->history(peer, 10)) reader.print(history_line(h, peer));
    reader.print("-- chatting with " + peer + " (Ctrl-D or Ctrl-C to leave) --");
  }
  bool typing = false;
  while (interrupted == 0) {
    const auto input = reader.poll(100);
    if (input.eof) break;
    if (input.started && !typing) {
      typing = true;
      m->send_typing(peer, true);
    }
    if (input.cleared && typing) {
      typing = false;
      m->send_typing(peer, false);
    }
    if (input.line) {
      typing = false;
      if (!input.line->empty()) {
        auto sent = m->send_text(peer, *input.line);
        if (!sent) {
          reader.print("! not sent: " + sent.status().message());
          if (sent.status().code() == ErrorCode::kUnavailable) return kUnreachable;
        }
      }
    }
    send_read_receipts(*m, show(g, m->receive(std::chrono::milliseconds(100)), &reader));
  }
  return kOk;
}

int history(const GlobalOptions& g, const std::string& peer, int limit) {
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  for (const auto& h : m->history(peer, static_cast<std::size_t>(limit))) {
    if (!g.json) {
      std::cout << history_line(h, peer) << '\n';
      continue;
    }
    json j = {{"direction", h.direction == HistoryEntry::Direction::kOut ? "out" : "in"},
              {"message_id", message_id_text(h.message_id)},
              {"timestamp", h.timestamp_ms},
              {"text", h.text},
              {"state", state_name(h.state)},
              {"edited", h.edited}};
    if (h.file) j["file"] = file_json(*h.file);
    if (h.expires_at != 0) {
      j["expires_at"] = h.expires_at;
      j["vanishes_in"] = seconds_left(h.expires_at);
    }
    std::cout << j.dump() << '\n';
  }
  return kOk;
}

int contacts(const GlobalOptions& g, const std::string& action, const std::string& handle) {
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  if (action == "list") {
    auto r = m->call("contacts.list", json::object());
    if (!r) return refused(g, r.status());
    for (const auto& c : r->value("contacts", json::array())) {
      if (g.json) {
        std::cout << c.dump() << '\n';
      } else {
        std::cout << c.value("handle", "") << '\n';
      }
    }
    return kOk;
  }
  auto r = m->call(action == "add" ? "contacts.add" : "contacts.remove", {{"handle", handle}});
  if (!r) return refused(g, r.status());
  if (g.json) std::cout << r->dump() << '\n';
  return kOk;
}

int requests(const GlobalOptions& g, const std::string& action, const std::string& handle) {
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  if (action.empty() || action == "list") {
    // Requests that arrived since the last look are picked up first.
    show(g, m->receive(std::chrono::milliseconds(300)));
    for (const auto& h : m->requests()) {
      std::cout << (g.json ? json{{"request", h}}.dump() : h) << '\n';
    }
    return kOk;
  }
  if (Status s = m->answer_request(handle, action == "accept"); !s) return refused(g, s);
  return kOk;
}

int block(const GlobalOptions& g, const std::string& handle, bool blocked) {
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  auto r = m->call(blocked ? "blocks.add" : "blocks.remove", {{"handle", handle}});
  if (!r) return refused(g, r.status());
  if (g.json) std::cout << r->dump() << '\n';
  return kOk;
}

int fingerprint(const GlobalOptions& g, const std::string& handle) {
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  auto number = m->safety_number(handle);
  if (!number) return refused(g, number.status());
  show(g, m->receive(std::chrono::milliseconds(0)));
  if (g.json) {
    std::cout << json{{"handle", handle}, {"safety_number", *number}}.dump() << '\n';
    return kOk;
  }
  std::cout << "Safety number with " << handle << ":\n";
  for (std::size_t row = 0; row < number->size(); row += 20) {
    std::string line;
    for (std::size_t i = row; i < row + 20 && i < number->size(); i += 5) {
      line += (i == row ? "" : " ") + number->substr(i, 5);
    }
    std::cout << "  " << line << '\n';
  }
  std::cout << "Compare it with " << handle
            << "'s screen: the same digits mean nobody is in between.\n";
  return kOk;
}

int devices(const GlobalOptions& g, const std::string& action, std::uint32_t id,
            const std::string& out_file) {
  int code = kOk;
  auto m = open(g, code);
  if (!m) return code;
  if (action == "list") {
    auto r = m->call("device.list", json::object());
    if (!r) return refused(g, r.status());
    for (const auto& d : r->value("devices", json::array())) {
      const auto device = d.value("id", 0u);
      if (g.json) {
        std::cout << json{{"device_id", device}, {"this", device == m->device_id()}}.dump() << '\n';
      } else {
        std::cout << "device " << device << (device == m->device_id() ? " (this one)" : "") << '\n';
      }
    }
    return kOk;
  }
  if (action == "remove") {
    auto r = m->call("device.remove", {{"device_id", id}});
    return r ? kOk : refused(g, r.status());
  }
  auto link = m->add_device(id);
  if (!link) return refused(g, link.status());
  const std::string path =
      out_file.empty() ? "xchat-device-" + std::to_string(id) + ".link" : out_file;
  // Mode 0600: it holds the identity key (sealed, but still).
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const bool written = fd >= 0 && ::write(fd, link->package.data(), link->package.size()) ==
                                      static_cast<ssize_t>(link->package.size());
  if (fd >= 0) ::close(fd);
  if (!written) return fail(g, kLocal, Status(ErrorCode::kInternal, "cannot write " + path));
  if (g.json) {
    std::cout << json{{"device_id", id}, {"file", path}, {"code", link->code}}.dump() << '\n';
  } else {
    std::cout << "Device " << id << " added. On the new device run:\n  xchat init --link " << path
              << " --code " << link->code << "\nThen delete " << path
              << ": it holds your identity key (sealed by the code).\n";
  }
  return kOk;
}

}  // namespace xchat::client::cli
