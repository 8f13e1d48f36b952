#include "integration/support/messengers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace xchat::testing {

using client::Event;
using client::HistoryEntry;
using client::Messenger;
using client::MessengerOptions;

Messengers::Messengers(const Daemon& daemon, const std::string& dir_prefix,
                       std::function<std::int64_t()> now_ms, int rounds)
    : daemon_(daemon), dir_(dir_prefix), now_ms_(std::move(now_ms)), rounds_(rounds) {}

std::string Messengers::url() const {
  return "ws://127.0.0.1:" + std::to_string(daemon_.port()) + "/v1/ws";
}

MessengerOptions Messengers::options(const std::string& name) const {
  MessengerOptions o;
  o.home = dir_.file(name);
  o.passphrase = "passphrase of " + name;
  o.timeout = std::chrono::seconds(10);
  o.now_ms = now_ms_;
  return o;
}

std::unique_ptr<Messenger> Messengers::init(const std::string& name,
                                            const std::string& handle) const {
  auto m = Messenger::init(options(name), url(), handle, 1, "");
  EXPECT_TRUE(m) << (m ? "" : m.status().message());
  return m ? std::move(*m) : nullptr;
}

std::unique_ptr<Messenger> Messengers::open(const std::string& name) const {
  auto m = Messenger::open(options(name));
  EXPECT_TRUE(m) << (m ? "" : m.status().message());
  return m ? std::move(*m) : nullptr;
}

std::vector<Event> Messengers::until(Messenger& m, Event::Kind kind) const {
  return until(m, kind, rounds_);
}

std::vector<Event> Messengers::until(Messenger& m, Event::Kind kind, int rounds) {
  std::vector<Event> all;
  for (int i = 0; i < rounds; ++i) {
    auto events = m.receive(std::chrono::milliseconds(500));
    all.insert(all.end(), events.begin(), events.end());
    if (std::any_of(events.begin(), events.end(), [&](const Event& e) { return e.kind == kind; }))
      break;
  }
  return all;
}

std::vector<std::string> texts(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (e.kind == Event::Kind::kMessage) out.push_back(e.text);
  }
  return out;
}

std::vector<std::string> texts(const std::vector<HistoryEntry>& history) {
  std::vector<std::string> out;
  for (const auto& h : history) out.push_back(h.text);
  return out;
}

}  // namespace xchat::testing
