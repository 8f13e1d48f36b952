#include "messenger/server_data.hpp"

#include <nlohmann/json.hpp>
#include <string_view>

#include "fuzz/targets.hpp"

namespace xchat::fuzz {

// Every parser gets the frame, and its `result` when it has one, whatever the frame's
// type: a client may receive anything in any place. Uncaught exceptions abort (libFuzzer
// reports them); a parser that accepted something must have produced consistent data.
void fuzz_server_data(std::span<const std::uint8_t> input) {
  const auto frame = nlohmann::json::parse(input.begin(), input.end(), nullptr, false);
  if (frame.is_discarded()) return;

  nlohmann::json details;
  auto result = client::parse_reply(frame, &details);
  if (!result && !details.is_object())
    invariant_failed("error details not an object", frame.dump());
  const nlohmann::json& body = result ? *result : frame;

  client::push_type(frame);
  client::parse_challenge(body);
  client::parse_prekeys_low(frame);
  if (auto envelopes = client::parse_envelopes_push(frame)) {
    for (const auto& item : *envelopes) {
      if (item.envelope && item.envelope->message_id.size() != 16) {
        invariant_failed("accepted an envelope with a bad message id", frame.dump());
      }
    }
  }
  if (auto keys = client::parse_keys_fetch(body, "@fuzz")) {
    for (const auto& device : keys->devices) {
      if (device.bundle && device.bundle->device.party.device_id != device.device_id) {
        invariant_failed("a bundle for another device than its entry", frame.dump());
      }
    }
  }
  client::parse_device_ids(details.value("devices", nlohmann::json()));
  client::parse_device_ids(details.value("sync_devices", nlohmann::json()));
  client::parse_send_result(body);
  client::parse_lookup(body);
  client::parse_token(body);
}

}  // namespace xchat::fuzz
