#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "load/connection.hpp"

namespace xchat::bench {

// An Ed25519 key pair made with libsodium, as a real client makes it.
struct KeyPair {
  std::string public_key;  // 32 bytes
  std::string secret_key;  // 64 bytes

  static KeyPair generate();
  std::string sign(std::string_view message) const;  // 64-byte detached signature
};

// An account the generator creates: a handle, an identity key and one device (id 1). The
// server only ever sees the public halves.
struct BenchUser {
  explicit BenchUser(std::string display_handle);

  std::string handle;      // display form, e.g. "@k3f9zs12"
  std::string handle_key;  // canonical (lower-case) form, which signatures cover
  std::uint32_t device_id = 1;
  KeyPair identity = KeyPair::generate();
  KeyPair device = KeyPair::generate();
};

// Five random characters of [a-z0-9] that make this run's handles unlikely to collide with
// an earlier run's on the same server.
std::string make_run_tag();
// "@" + tag + role letter + index: 15 characters at most for indexes below 10^9.
std::string bench_handle(std::string_view tag, char role, std::size_t index);

// The asynchronous steps of signing in. Each calls `done` exactly once, on the
// connection's thread, with "" or why it failed. `conn` and `user` must stay alive until
// then (the workers own both for the whole run).
using StepDone = std::function<void(const std::string& error)>;

// `register`, on an open anonymous connection.
void register_user(Connection& conn, const BenchUser& user, StepDone done);
// `auth.challenge`, then `auth.login` signed by the device key, on an open anonymous
// connection.
void log_in(Connection& conn, const BenchUser& user, StepDone done);
// open(), then register_user() when `register_first`, then log_in().
void open_and_log_in(const std::shared_ptr<Connection>& conn, const BenchUser& user,
                     bool register_first, StepDone done);

}  // namespace xchat::bench
