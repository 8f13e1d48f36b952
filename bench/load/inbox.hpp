#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "load/connection.hpp"
#include "load/error_tally.hpp"

namespace xchat::bench {

// The receiving side of one device's connection. It takes the `envelope` pushes, checks
// that their seqs increase (the protocol promises it per device), and acknowledges them in
// batches: one `ack` whenever the read loop has caught up with the socket, so that the
// server's delivery window (limits.max_unacked_envelopes) reopens at once without costing
// an ack per envelope.
//
// Thread safety: none; it lives on its connection's thread. It installs itself as the
// connection's push and caught-up handler, so it must outlive the connection's reads (the
// workers own both until their threads stop).
class Inbox {
 public:
  // Seqs in one ack: the protocol's limit. A batch this large is sent without waiting for
  // the read loop to catch up.
  static constexpr std::size_t kMaxAckSeqs = 1024;

  struct Handlers {
    std::function<void(const nlohmann::json& envelope)> on_envelope;  // each new envelope
    std::function<void()> on_queue_empty;
    // The seqs of an ack whose reply came back: deleted on the server, never to come again.
    std::function<void(const std::vector<std::uint64_t>& seqs)> on_acked;
  };

  // `owner` (the handle) names the device in error details.
  Inbox(Connection& conn, ErrorTally& errors, std::string owner, Handlers handlers);
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

 private:
  void on_push(const nlohmann::json& push);
  // One item of an "envelopes" push.
  void on_envelope(const nlohmann::json& envelope);
  void flush();

  Connection& conn_;
  ErrorTally& errors_;
  const std::string owner_;
  const Handlers handlers_;
  std::uint64_t last_seq_ = 0;
  std::vector<std::uint64_t> unacked_;  // received, not yet in an ack; at most kMaxAckSeqs
};

}  // namespace xchat::bench
