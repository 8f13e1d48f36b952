#include "integration/support/messaging.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstdlib>
#include <functional>
#include <set>
#include <thread>
#include <utility>

#include "integration/support/helpers.hpp"
#include "xchat/base64.hpp"

namespace xchat::testing {

using nlohmann::json;

std::string random_bytes(std::size_t n) {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
  std::string bytes(n, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return bytes;
}

Ciphertexts random_ciphertexts(const std::vector<std::uint32_t>& device_ids, std::size_t bytes) {
  Ciphertexts ciphertexts;
  for (const auto id : device_ids) ciphertexts[id] = random_bytes(bytes);
  return ciphertexts;
}

namespace {

json device_array(const Ciphertexts& ciphertexts) {
  json array = json::array();
  for (const auto& [id, ciphertext] : ciphertexts) {
    array.push_back({{"device_id", id}, {"ciphertext", base64_encode(ciphertext)}});
  }
  return array;
}

// `object[key]`; null when `object` is not an object or has no such member.
json member(const json& object, const std::string& key) {
  return object.is_object() && object.contains(key) ? object[key] : json();
}

// `field` of the entry of `list` (an array of {"device_id", ...} objects) for `device_id`;
// null when there is none.
json field_for(const json& list, std::uint32_t device_id, const std::string& field) {
  if (!list.is_array()) return nullptr;
  for (const auto& entry : list) {
    if (entry.is_object() && entry.value("device_id", json()) == device_id) {
      return member(entry, field);
    }
  }
  return nullptr;
}

}  // namespace

json send_request(const std::string& to, const Ciphertexts& envelopes,
                  const std::optional<Ciphertexts>& sync) {
  json request = {{"type", "send"},
                  {"to", to},
                  {"message_id", base64_encode(random_bytes(16))},
                  {"envelopes", device_array(envelopes)}};
  if (sync) request["sync"] = device_array(*sync);
  return request;
}

json expected_envelope(const TestUser& sender, const json& request, const json& result,
                       std::uint32_t device_id, const std::string& list) {
  json envelope = {{"from", sender.handle},
                   {"from_device", sender.device_id},
                   {"message_id", member(request, "message_id")},
                   {"timestamp", member(result, "timestamp")},
                   {"ciphertext", field_for(member(request, list), device_id, "ciphertext")}};
  if (member(request, "ephemeral") == true) {
    envelope["ephemeral"] = true;
  } else {
    envelope["seq"] = field_for(member(result, list), device_id, "seq");
  }
  return envelope;
}

std::int64_t result_seq(const json& result, std::uint32_t device_id, const std::string& list) {
  const json seq = field_for(member(result, list), device_id, "seq");
  return seq.is_number_integer() ? seq.get<std::int64_t>() : -1;
}

json without_request_flag(json envelope) {
  envelope.erase("request");
  return envelope;
}

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool plausible_timestamp(const json& timestamp) {
  constexpr std::int64_t kDayMs = 24 * 3600 * 1000;
  return timestamp.is_number_integer() &&
         std::abs(timestamp.get<std::int64_t>() - unix_now_ms()) < kDayMs;
}

std::vector<std::int64_t> seqs_of(const std::vector<json>& envelopes) {
  std::vector<std::int64_t> seqs;
  for (const auto& e : envelopes) {
    const json seq = member(e, "seq");
    seqs.push_back(seq.is_number_integer() ? seq.get<std::int64_t>() : -1);
  }
  return seqs;
}

namespace {

// The "type" of a push; "" for a reply or anything else.
// The envelopes of an "envelopes" push, each checked to be an object (a malformed push
// yields a null item, which no expected envelope equals).
std::vector<json> envelope_items(const json& frame) {
  std::vector<json> items;
  const json list = frame.value("envelopes", json());
  if (!list.is_array() || list.empty()) return {json()};
  for (const auto& item : list) items.push_back(item.is_object() ? item : json());
  return items;
}

std::string push_type(const json& frame) {
  if (!frame.is_object() || frame.contains("id") || !frame.contains("type") ||
      !frame["type"].is_string()) {
    return "";
  }
  return frame["type"].get<std::string>();
}

// Reads frames until `done` holds, taking at most `max_envelopes` envelopes and
// acknowledging them as `ack` says, then waits for the replies to its acks. Frames it does
// not need, and the envelopes of a push past `max_envelopes`, are handed back through
// pushes().
Delivery receive(WsClient& client, Ack ack, std::chrono::milliseconds timeout,
                 std::size_t max_envelopes, const std::function<bool(const Delivery&)>& done) {
  Delivery delivery;
  std::vector<json> left_over;  // envelopes past max_envelopes, for the next reader
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // request() set these aside, and no request() runs while this reads: take them first.
  std::vector<json> buffered = std::move(client.pushes());
  client.pushes().clear();
  std::size_t next_buffered = 0;
  auto next_frame = [&]() -> std::optional<json> {
    if (next_buffered < buffered.size()) return std::move(buffered[next_buffered++]);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds(0)) return std::nullopt;
    return client.read_json(left);
  };
  auto stopped = [&](const std::string& while_doing) {
    delivery.problem = (client.is_open() ? "timed out " : "connection ended ") + while_doing +
                       " after " + std::to_string(delivery.envelopes.size()) + " envelopes" +
                       (delivery.queue_empty ? " and queue_empty" : ", no queue_empty");
  };

  std::set<std::string> acks_pending;  // ids of acks whose reply has not come
  std::int64_t acks_sent = 0;
  // Whether `frame` is the reply to one of our acks (and then takes note of it).
  auto ack_reply = [&](const json& frame) {
    if (!frame.contains("id") || !frame["id"].is_string() ||
        acks_pending.erase(frame["id"].get<std::string>()) == 0) {
      return false;
    }
    if (!frame.contains("result") && delivery.problem.empty()) {
      delivery.problem = "ack refused: " + frame.dump();
    }
    return true;
  };

  while (!done(delivery)) {
    auto frame = next_frame();
    if (!frame) {
      stopped("waiting for envelopes");
      break;
    }
    if (ack_reply(*frame)) continue;
    const std::string type = push_type(*frame);
    if (type == "queue_empty" && !delivery.queue_empty) {
      delivery.queue_empty = true;
    } else if (type == "envelopes") {
      auto seqs = json::array();
      for (const auto& item : envelope_items(*frame)) {
        if (delivery.envelopes.size() >= max_envelopes) {
          left_over.push_back(item);
          continue;
        }
        if (item.contains("seq")) seqs.push_back(item["seq"]);
        delivery.envelopes.push_back(item);
      }
      if (ack == Ack::kEach && !seqs.empty()) {
        const std::string id = "ack-" + std::to_string(acks_sent++);
        const json request = {{"type", "ack"}, {"id", id}, {"seqs", std::move(seqs)}};
        if (!client.send_text(request.dump())) {
          stopped("sending an ack");
          break;
        }
        acks_pending.insert(id);
      }
    } else {
      delivery.other.push_back(std::move(*frame));
    }
  }

  std::vector<json> later;  // read while waiting for ack replies: for the next reader
  if (!left_over.empty()) {
    later.push_back({{"type", "envelopes"}, {"envelopes", std::move(left_over)}});
  }
  while (!acks_pending.empty() && delivery.problem.empty()) {
    auto frame = next_frame();
    if (!frame) {
      stopped("waiting for " + std::to_string(acks_pending.size()) + " ack replies");
      break;
    }
    if (!ack_reply(*frame)) later.push_back(std::move(*frame));
  }
  for (std::size_t i = next_buffered; i < buffered.size(); ++i) {
    later.push_back(std::move(buffered[i]));
  }
  client.pushes() = std::move(later);
  return delivery;
}

}  // namespace

Delivery receive_envelopes(WsClient& client, std::size_t count, Ack ack,
                           std::chrono::milliseconds timeout) {
  return receive(client, ack, timeout, count,
                 [count](const Delivery& d) { return d.envelopes.size() >= count; });
}

Delivery receive_until_queue_empty(WsClient& client, Ack ack, std::chrono::milliseconds timeout) {
  return receive(client, ack, timeout, SIZE_MAX, [](const Delivery& d) { return d.queue_empty; });
}

Delivery receive_for(WsClient& client, std::chrono::milliseconds quiet) {
  std::this_thread::sleep_for(quiet);
  Delivery delivery;
  if (!pings(client)) delivery.problem = "no reply to a ping";
  for (auto& frame : client.pushes()) {
    const std::string type = push_type(frame);
    if (type == "envelopes") {
      for (const auto& item : envelope_items(frame)) delivery.envelopes.push_back(item);
    } else if (type == "queue_empty" && !delivery.queue_empty) {
      delivery.queue_empty = true;
    } else {
      delivery.other.push_back(std::move(frame));
    }
  }
  client.pushes().clear();
  return delivery;
}

std::vector<json> log_in_and_drain(const Daemon& daemon, const TestUser& user) {
  auto client = log_in_on_new_connection(daemon, user);
  if (client == nullptr) return {};
  Delivery delivery = receive_until_queue_empty(*client, Ack::kEach);
  EXPECT_EQ(delivery.problem, "") << user.handle << " device " << user.device_id;
  EXPECT_EQ(delivery.other, std::vector<json>()) << user.handle << " device " << user.device_id;
  return std::move(delivery.envelopes);
}

}  // namespace xchat::testing
