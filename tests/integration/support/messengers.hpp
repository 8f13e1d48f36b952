#pragma once

// Accounts of the client library (Messenger) against a Daemon: the fixture part of the
// client library's integration tests.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "integration/support/daemon.hpp"
#include "messenger/messenger.hpp"
#include "support/temp_dir.hpp"

namespace xchat::testing {

// Messengers named "alice", "bob", ..., each with its local store under a home of its own
// in one temporary directory (removed with this object), all clients of one Daemon. The
// failures of init() and open() are recorded as non-fatal gtest failures and give null,
// for the caller to follow with ASSERT_NE(m, nullptr). Not thread-safe.
class Messengers {
 public:
  // The temporary directory is /tmp/DIR_PREFIX-XXXXXX. `now_ms`, when set, is every
  // account's clock (else the system's); until() receives for at most `rounds` rounds.
  // REQUIRES: `daemon` outlives this object.
  Messengers(const Daemon& daemon, const std::string& dir_prefix,
             std::function<std::int64_t()> now_ms = {}, int rounds = 20);

  // The daemon's WebSocket URL.
  std::string url() const;

  // The options of account `name`: its home, the passphrase "passphrase of NAME", a 10 s
  // request timeout and the clock.
  client::MessengerOptions options(const std::string& name) const;

  // Creates account `name` on the daemon with `handle` as device 1.
  std::unique_ptr<client::Messenger> init(const std::string& name, const std::string& handle) const;

  // Opens account `name` made earlier, which logs in.
  std::unique_ptr<client::Messenger> open(const std::string& name) const;

  // Receives on `m` in rounds of up to 500 ms until a round brings an event of `kind`, for
  // at most the rounds given at construction (or `rounds`); returns every event received.
  std::vector<client::Event> until(client::Messenger& m, client::Event::Kind kind) const;
  static std::vector<client::Event> until(client::Messenger& m, client::Event::Kind kind,
                                          int rounds);

 private:
  // Constant after construction.
  const Daemon& daemon_;
  TempDir dir_;
  std::function<std::int64_t()> now_ms_;
  int rounds_;
};

// The texts of the messages among `events`, in order.
std::vector<std::string> texts(const std::vector<client::Event>& events);

// The texts of `history`, in order.
std::vector<std::string> texts(const std::vector<client::HistoryEntry>& history);

}  // namespace xchat::testing
