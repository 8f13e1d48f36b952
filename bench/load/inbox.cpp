#include "load/inbox.hpp"

namespace xchat::bench {

Inbox::Inbox(Connection& conn, ErrorTally& errors, std::string owner, Handlers handlers)
    : conn_(conn), errors_(errors), owner_(std::move(owner)), handlers_(std::move(handlers)) {
  unacked_.reserve(kMaxAckSeqs);
  conn_.set_push_handler([this](const nlohmann::json& push) { on_push(push); });
  conn_.set_caught_up_handler([this] { flush(); });
}

void Inbox::on_push(const nlohmann::json& push) {
  const auto type = push.find("type");
  if (type == push.end() || !type->is_string()) return;
  if (*type == "queue_empty") {
    if (handlers_.on_queue_empty) handlers_.on_queue_empty();
    return;
  }
  // Other pushes (prekeys_low) do not concern the load.
  if (*type != "envelopes") return;
  const auto items = push.find("envelopes");
  if (items == push.end() || !items->is_array()) {
    errors_.add("envelopes_without_list", owner_);
    return;
  }
  for (const auto& envelope : *items) on_envelope(envelope);
}

void Inbox::on_envelope(const nlohmann::json& envelope) {
  const auto seq_field = envelope.find("seq");
  if (seq_field == envelope.end() || !seq_field->is_number_unsigned()) {
    errors_.add("envelope_without_seq", owner_);
    return;
  }
  const auto seq = seq_field->get<std::uint64_t>();
  // Acknowledged whatever its seq: it is stored until it is.
  unacked_.push_back(seq);
  if (seq <= last_seq_) {
    errors_.add("envelope_seq_not_increasing",
                owner_ + ": " + std::to_string(seq) + " after " + std::to_string(last_seq_));
  } else {
    last_seq_ = seq;
    if (handlers_.on_envelope) handlers_.on_envelope(envelope);
  }
  if (unacked_.size() >= kMaxAckSeqs) flush();
}

void Inbox::flush() {
  if (unacked_.empty() || !conn_.is_open()) return;
  std::string members = R"("type":"ack","seqs":[)";
  for (std::size_t i = 0; i < unacked_.size(); ++i) {
    if (i > 0) members.push_back(',');
    members += std::to_string(unacked_[i]);
  }
  members.push_back(']');
  std::vector<std::uint64_t> seqs;
  if (handlers_.on_acked) seqs = unacked_;
  unacked_.clear();
  conn_.request(members, [this, seqs = std::move(seqs)](const nlohmann::json& reply) {
    if (!reply.contains("result")) {
      errors_.add(error_code_of(reply), "ack by " + owner_);
    } else if (handlers_.on_acked) {
      handlers_.on_acked(seqs);
    }
  });
}

}  // namespace xchat::bench
