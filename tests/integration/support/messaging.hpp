#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "integration/support/daemon.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"

namespace xchat::testing {

// Messaging as a client does it: `send` requests carrying one ciphertext per device, and a
// device reading, and acknowledging, the envelopes delivered to it. The server cannot tell
// random bytes from real ciphertext, so tests send random bytes unless the content matters.

// `n` bytes from libsodium's randombytes_buf.
std::string random_bytes(std::size_t n);

// Raw ciphertext by device id: the "envelopes" (or "sync") of a send.
using Ciphertexts = std::map<std::uint32_t, std::string>;

// `bytes` random bytes for each of `device_ids`.
Ciphertexts random_ciphertexts(const std::vector<std::uint32_t>& device_ids,
                               std::size_t bytes = 48);

// A "send" to `to` with a fresh random 16-byte message_id; "sync" is present only when
// `sync` is given. Add "ephemeral" (or break a field) on the returned object.
nlohmann::json send_request(const std::string& to, const Ciphertexts& envelopes,
                            const std::optional<Ciphertexts>& sync = std::nullopt);

// The envelope (an item of an "envelopes" push) that device `device_id` receives for `request`, a
// send by `sender` answered with `result` (the reply's "result"): the seq comes from
// `result[list]`, where `list` is "envelopes", or "sync" for a copy on the sender's own device. An
// ephemeral send's push has "ephemeral": true and no seq. The "request" flag is not included:
// compare with without_request_flag() unless the test is about it.
nlohmann::json expected_envelope(const TestUser& sender, const nlohmann::json& request,
                                 const nlohmann::json& result, std::uint32_t device_id,
                                 const std::string& list = "envelopes");

// The seq a send's `result` gives device `device_id` in `result[list]` ("envelopes" or
// "sync"); -1 when it gives none.
std::int64_t result_seq(const nlohmann::json& result, std::uint32_t device_id,
                        const std::string& list = "envelopes");

// `envelope` without its "request" field.
nlohmann::json without_request_flag(nlohmann::json envelope);

// Now, in milliseconds since the Unix epoch: the unit of the messaging timestamps.
std::int64_t unix_now_ms();

// Whether `timestamp` is an integer number of milliseconds within a day of unix_now_ms()
// (a timestamp in seconds, or none, is not).
bool plausible_timestamp(const nlohmann::json& timestamp);

// The "seq" of every envelope, in order (-1 for one without an integer seq).
std::vector<std::int64_t> seqs_of(const std::vector<nlohmann::json>& envelopes);

// What one connection of a device received, in arrival order.
struct Delivery {
  std::vector<nlohmann::json> envelopes;  // the items of the "envelopes" pushes
  bool queue_empty = false;               // the "queue_empty" push came
  std::vector<nlohmann::json> other;      // any other frame
  std::string problem;                    // why reading stopped early; "" when it did not
};

enum class Ack {
  kEach,  // acknowledge every stored envelope as it arrives
  kNone,  // acknowledge nothing: the envelopes stay queued and come again next login
};

// Reads `client`'s frames, starting with the pushes request() set aside, until `count`
// envelopes have arrived (a queue_empty before them is noted and skipped). With Ack::kEach
// it also waits for every ack's reply, so the acknowledgements are committed when it
// returns. Frames after the last envelope it needs, and envelopes past `count` in the
// push that carried the last one, are left for the next reader.
Delivery receive_envelopes(WsClient& client, std::size_t count, Ack ack,
                           std::chrono::milliseconds timeout = 60s);

// The same, up to and including queue_empty: a freshly logged-in device's whole backlog.
Delivery receive_until_queue_empty(WsClient& client, Ack ack,
                                   std::chrono::milliseconds timeout = 60s);

// What arrives within `quiet`, acknowledging nothing: for checking that nothing does. It
// waits `quiet`, then reads up to the reply of a ping sent then, so every frame the server
// had queued by that time is seen, and no read times out (the connection stays usable).
Delivery receive_for(WsClient& client, std::chrono::milliseconds quiet = 300ms);

// Logs `user` in on a new connection and reads its whole backlog, acknowledging it; returns
// the envelopes. Records a failure when the login or the reading fails.
std::vector<nlohmann::json> log_in_and_drain(const Daemon& daemon, const TestUser& user);

}  // namespace xchat::testing
