#include "messenger/server_data.hpp"

#include <limits>

#include "xchat/base64.hpp"
#include "xchat/error_code.hpp"

namespace xchat::client {

namespace {

using nlohmann::json;

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kSignatureBytes = 64;
constexpr std::size_t kNonceBytes = 32;
constexpr std::size_t kMessageIdBytes = 16;
constexpr std::int64_t kMaxDeviceId = 2147483647;
// Timestamps (ms) up to the year 9999: far enough, and small enough that the client's
// arithmetic on them (a vanishing timer added) cannot overflow.
constexpr std::int64_t kMaxTimestampMs = 253'402'300'799'999;
constexpr std::int64_t kMaxSeq = std::numeric_limits<std::int64_t>::max();

Status malformed(std::string_view what) {
  return Status(ErrorCode::kInternal, "the server sent " + std::string(what));
}

const json* member(const json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// Whether `v` is an integer in min..max: nlohmann reads every non-negative integer as
// unsigned, and one over int64's range must not wrap into it.
bool integer_in(const json& v, std::int64_t min, std::int64_t max) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    return u <= static_cast<std::uint64_t>(max) &&
           (min <= 0 || u >= static_cast<std::uint64_t>(min));
  }
  return v.is_number_integer() && v.get<std::int64_t>() >= min && v.get<std::int64_t>() <= max;
}

// An integer member in min..max; nullopt when it is absent and `optional`.
Result<std::optional<std::int64_t>> integer(const json& object, const char* name, std::int64_t min,
                                            std::int64_t max, bool optional = false) {
  const json* v = member(object, name);
  if (v == nullptr && optional) return std::optional<std::int64_t>();
  if (v == nullptr || !integer_in(*v, min, max)) {
    return malformed("no valid '" + std::string(name) + "' (an integer in " + std::to_string(min) +
                     ".." + std::to_string(max) + ")");
  }
  return std::optional<std::int64_t>(v->get<std::int64_t>());
}

Result<std::string> string(const json& object, const char* name) {
  const json* v = member(object, name);
  if (v == nullptr || !v->is_string()) return malformed("no '" + std::string(name) + "' string");
  return v->get<std::string>();
}

// A base64 member decoded; `size` 0 takes any length.
Result<std::string> bytes(const json& object, const char* name, std::size_t size) {
  auto text = string(object, name);
  if (!text) return text.status();
  auto decoded = base64_decode(*text);
  if (!decoded || (size != 0 && decoded->size() != size)) {
    return malformed("an invalid '" + std::string(name) + "' (base64" +
                     (size != 0 ? " of " + std::to_string(size) + " bytes" : std::string()) + ")");
  }
  return std::move(*decoded);
}

Result<bool> flag(const json& object, const char* name) {
  const json* v = member(object, name);
  if (v == nullptr || v->is_null()) return false;
  if (!v->is_boolean()) return malformed("a non-boolean '" + std::string(name) + "'");
  return v->get<bool>();
}

Result<Envelope> parse_envelope(const json& item) {
  if (!item.is_object()) return malformed("an envelope that is not an object");
  Envelope e;
  auto from = string(item, "from");
  if (!from) return from.status();
  e.from = std::move(*from);
  auto device = integer(item, "from_device", 1, kMaxDeviceId);
  if (!device) return device.status();
  e.from_device = static_cast<std::uint32_t>(**device);
  auto message_id = bytes(item, "message_id", kMessageIdBytes);
  if (!message_id) return message_id.status();
  e.message_id = std::move(*message_id);
  auto ciphertext = bytes(item, "ciphertext", 0);
  if (!ciphertext) return ciphertext.status();
  e.ciphertext = std::move(*ciphertext);
  auto timestamp = integer(item, "timestamp", 0, kMaxTimestampMs);
  if (!timestamp) return timestamp.status();
  e.timestamp_ms = **timestamp;
  auto expires_at = integer(item, "expires_at", 0, kMaxTimestampMs, true);
  if (!expires_at) return expires_at.status();
  e.expires_at = expires_at->value_or(0);
  auto request = flag(item, "request");
  if (!request) return request.status();
  e.request = *request;
  return e;
}

Result<PrekeyBundle> parse_bundle(const json& device, std::string_view handle_key,
                                  const std::string& identity_key, std::uint32_t device_id) {
  PrekeyBundle b;
  auto dh = bytes(device, "identity_dh_key", kKeyBytes);
  if (!dh) return dh.status();
  b.device.party = Party{std::string(handle_key), device_id, identity_key, std::move(*dh)};
  const json* spk = member(device, "signed_prekey");
  if (spk == nullptr || !spk->is_object()) return malformed("no 'signed_prekey' object");
  auto spk_id = integer(*spk, "id", 0, std::numeric_limits<std::uint32_t>::max());
  if (!spk_id) return spk_id.status();
  b.device.signed_prekey_id = static_cast<std::uint32_t>(**spk_id);
  auto spk_key = bytes(*spk, "key", kKeyBytes);
  if (!spk_key) return spk_key.status();
  b.device.signed_prekey = std::move(*spk_key);
  auto signature = bytes(*spk, "signature", kSignatureBytes);
  if (!signature) return signature.status();
  b.device.signature = std::move(*signature);
  if (const json* otp = member(device, "one_time_prekey"); otp != nullptr && !otp->is_null()) {
    if (!otp->is_object()) return malformed("a 'one_time_prekey' that is not an object");
    auto otp_id = integer(*otp, "id", 0, std::numeric_limits<std::uint32_t>::max());
    if (!otp_id) return otp_id.status();
    b.one_time_prekey_id = static_cast<std::uint32_t>(**otp_id);
    auto otp_key = bytes(*otp, "key", kKeyBytes);
    if (!otp_key) return otp_key.status();
    b.one_time_prekey = std::move(*otp_key);
  }
  return b;
}

}  // namespace

Result<json> parse_reply(const json& reply, json* error_details) {
  if (error_details != nullptr) *error_details = json::object();
  if (!reply.is_object()) return malformed("a reply that is not a JSON object");
  if (const json* result = member(reply, "result")) {
    if (!result->is_object()) return malformed("a reply whose 'result' is not an object");
    return *result;
  }
  const json* error = member(reply, "error");
  if (error == nullptr || !error->is_object()) {
    return malformed("a reply with neither a 'result' nor an 'error' object");
  }
  if (error_details != nullptr) *error_details = *error;
  auto code = string(*error, "code");
  if (!code) return malformed("an error without a 'code' string");
  const json* message = member(*error, "message");
  return Status(error_code_from_string(*code).value_or(ErrorCode::kInternal),
                message != nullptr && message->is_string() ? message->get<std::string>() : *code);
}

std::string push_type(const json& push) {
  const json* type = member(push, "type");
  return type != nullptr && type->is_string() ? type->get<std::string>() : std::string();
}

Result<LoginChallenge> parse_challenge(const json& result) {
  auto nonce = bytes(result, "nonce", kNonceBytes);
  if (!nonce) return nonce.status();
  auto server = string(result, "server");
  if (!server) return server.status();
  return LoginChallenge{std::move(*nonce), std::move(*server)};
}

Result<std::vector<PushedEnvelope>> parse_envelopes_push(const json& push) {
  const json* items = member(push, "envelopes");
  if (items == nullptr || !items->is_array()) {
    return malformed("an envelopes push without an 'envelopes' array");
  }
  std::vector<PushedEnvelope> out;
  out.reserve(items->size());
  for (const json& item : *items) {
    auto seq = integer(item, "seq", 1, kMaxSeq, true);
    out.push_back(PushedEnvelope{seq ? *seq : std::optional<std::int64_t>(), parse_envelope(item)});
  }
  return out;
}

Result<std::uint32_t> parse_prekeys_low(const json& push) {
  auto remaining = integer(push, "remaining", 0, std::numeric_limits<std::uint32_t>::max());
  if (!remaining) return remaining.status();
  return static_cast<std::uint32_t>(**remaining);
}

Result<FetchedKeys> parse_keys_fetch(const json& result, std::string_view handle_key) {
  FetchedKeys keys;
  auto identity_key = bytes(result, "identity_key", kKeyBytes);
  if (!identity_key) return identity_key.status();
  keys.identity_key = std::move(*identity_key);
  const json* devices = member(result, "devices");
  if (devices == nullptr || !devices->is_array()) return malformed("no 'devices' array");
  for (const json& device : *devices) {
    auto id = integer(device, "device_id", 1, kMaxDeviceId);
    if (!id) continue;
    const auto device_id = static_cast<std::uint32_t>(**id);
    keys.devices.push_back(
        FetchedDevice{device_id, parse_bundle(device, handle_key, keys.identity_key, device_id)});
  }
  return keys;
}

Result<std::set<std::uint32_t>> parse_device_ids(const json& list) {
  if (!list.is_array()) return malformed("a device list that is not an array");
  std::set<std::uint32_t> ids;
  for (const json& id : list) {
    if (!integer_in(id, 1, kMaxDeviceId)) {
      return malformed("a device list with an invalid device id");
    }
    ids.insert(static_cast<std::uint32_t>(id.get<std::int64_t>()));
  }
  return ids;
}

Result<SendResult> parse_send_result(const json& result) {
  auto timestamp = integer(result, "timestamp", 0, kMaxTimestampMs);
  if (!timestamp) return timestamp.status();
  auto expires_at = integer(result, "expires_at", 0, kMaxTimestampMs, true);
  if (!expires_at) return expires_at.status();
  return SendResult{**timestamp, expires_at->value_or(0)};
}

Result<std::optional<std::string>> parse_lookup(const json& result) {
  auto exists = flag(result, "exists");
  if (!exists) return exists.status();
  if (!*exists) return std::optional<std::string>();
  auto identity_key = bytes(result, "identity_key", kKeyBytes);
  if (!identity_key) return identity_key.status();
  return std::optional<std::string>(std::move(*identity_key));
}

Result<std::string> parse_token(const json& result) {
  auto token = string(result, "token");
  if (!token || token->empty()) return malformed("no 'token' string");
  return std::move(*token);
}

}  // namespace xchat::client
