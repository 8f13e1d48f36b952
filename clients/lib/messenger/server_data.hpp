#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/x3dh.hpp"
#include "xchat/status.hpp"

namespace xchat::client {

// Reading what the server sends (docs/protocol.md): replies, the results the client uses,
// and pushes. Every field the client needs is type- and range-checked; a malformed message
// gives kInternal ("the server sent ..."), a server fault, and never an exception: a
// hostile or broken server must not be able to crash a client. Fields the client does not
// use are ignored, as §2 asks. Pure functions; thread-safe.

// A reply frame: its `result` object, or the server's `error` as a Status (an unknown code
// counts as kInternal, as §6 says). `error_details`, when given, receives the error
// object (stale_devices lists devices in it), or an empty object.
Result<nlohmann::json> parse_reply(const nlohmann::json& reply, nlohmann::json* error_details);

// A push frame's `type`; empty when it has none, and then it is ignored like an unknown one.
std::string push_type(const nlohmann::json& push);

// auth.challenge's result.
struct LoginChallenge {
  std::string nonce;   // 32 bytes
  std::string server;  // the name to sign
};
Result<LoginChallenge> parse_challenge(const nlohmann::json& result);

// One envelope of an `envelopes` push.
struct Envelope {
  std::string from;  // the sender's handle as sent (display form)
  std::uint32_t from_device = 0;
  std::string message_id;  // 16 bytes
  std::string ciphertext;
  std::int64_t timestamp_ms = 0;
  std::int64_t expires_at = 0;  // 0: not a vanishing message
  bool request = false;
};

// An item of an `envelopes` push: its seq, kept apart so that even an envelope that is
// otherwise malformed is acknowledged (else it would come back at every login); absent on
// ephemeral envelopes and when unreadable. Then the envelope, or what is wrong with it.
struct PushedEnvelope {
  std::optional<std::int64_t> seq;
  Result<Envelope> envelope;
};
// kInternal when `envelopes` is missing or not an array; each item is checked on its own.
Result<std::vector<PushedEnvelope>> parse_envelopes_push(const nlohmann::json& push);

// A prekeys_low push: how many one-time prekeys the device has left.
Result<std::uint32_t> parse_prekeys_low(const nlohmann::json& push);

// keys.fetch's result for the account `handle_key`: its identity key, and for each device
// its prekey bundle (signature not yet verified) or what is wrong with it. Entries without
// a valid device_id cannot be named, so they are left out.
struct FetchedDevice {
  std::uint32_t device_id = 0;
  Result<PrekeyBundle> bundle;
};
struct FetchedKeys {
  std::string identity_key;  // 32 bytes
  std::vector<FetchedDevice> devices;
};
Result<FetchedKeys> parse_keys_fetch(const nlohmann::json& result, std::string_view handle_key);

// A device list of the stale_devices error (`devices`, `sync_devices`).
Result<std::set<std::uint32_t>> parse_device_ids(const nlohmann::json& list);

// send's result.
struct SendResult {
  std::int64_t timestamp_ms = 0;
  std::int64_t expires_at = 0;  // 0: not a vanishing message
};
Result<SendResult> parse_send_result(const nlohmann::json& result);

// user.lookup's result: the account's identity key, or nullopt when there is no such account.
Result<std::optional<std::string>> parse_lookup(const nlohmann::json& result);

// attachment.upload_token's and attachment.download_token's result: the token.
Result<std::string> parse_token(const nlohmann::json& result);

}  // namespace xchat::client
