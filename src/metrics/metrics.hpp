#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "xchat/error_code.hpp"

namespace xchat {

// Process-wide counters, rendered at GET /metrics in the Prometheus text format.
// Every member is a relaxed atomic: thread-safe, lock-free, and cheap enough for the
// message path. Owned by the Server; everything else holds a reference.
class Metrics {
 public:
  // Upper bounds (seconds) of the commit latency histogram buckets.
  static constexpr std::array<double, 12> kCommitBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0};

  std::atomic<std::int64_t> connections_open{0};        // TCP connections, any protocol
  std::atomic<std::int64_t> websocket_sessions{0};      // upgraded connections
  std::atomic<std::int64_t> sessions_authenticated{0};  // logged-in sessions
  std::atomic<std::uint64_t> connections_rejected{0};   // refused by a connection limit
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_out{0};
  std::atomic<std::uint64_t> slow_consumer_closes{0};  // closed with 1008, queue overflow
  std::atomic<std::uint64_t> envelopes_stored{0};      // committed to device queues
  std::atomic<std::uint64_t> envelopes_sent{0};        // pushed to devices (ephemeral too)
  std::atomic<std::uint64_t> envelopes_acked{0};       // acknowledged and deleted
  std::atomic<std::uint64_t> envelopes_expired{0};     // vanished, or past their retention
  std::atomic<std::uint64_t> envelopes_unsent{0};      // undelivered copies deleted by unsend
  std::atomic<std::uint64_t> wal_checkpoints{0};       // truncating checkpoints done
  std::atomic<std::uint64_t> wal_checkpoints_failed{0};
  std::atomic<std::uint64_t> attachments_created{0};
  std::atomic<std::uint64_t> attachments_completed{0};
  std::atomic<std::uint64_t> attachments_deleted{0};  // expired, timed out or deleted by owner
  std::atomic<std::uint64_t> attachment_bytes_received{0};
  std::atomic<std::uint64_t> attachment_bytes_sent{0};
  std::atomic<std::int64_t> attachment_transfers{0};  // uploads and downloads running now
  // The data directory's filesystem, as store::FreeSpaceGate last saw it.
  std::atomic<std::int64_t> storage_free_bytes{0};      // available to the server
  std::atomic<std::int64_t> storage_min_free_bytes{0};  // storage.min_free_bytes
  std::atomic<std::int64_t> storage_full{0};            // 1 while writes are refused

  void count_error(ErrorCode code);
  // One committed (or failed) store transaction carrying `ops` operations.
  void observe_commit(std::chrono::nanoseconds latency, std::size_t ops, bool ok);

  std::string render() const;

  std::uint64_t store_transactions() const { return transactions_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, kErrorCodeCount> errors_{};
  std::array<std::atomic<std::uint64_t>, kCommitBuckets.size() + 1> commit_buckets_{};
  std::atomic<std::uint64_t> commit_sum_ns_{0};
  std::atomic<std::uint64_t> transactions_{0};
  std::atomic<std::uint64_t> transactions_failed_{0};
  std::atomic<std::uint64_t> store_ops_{0};
};

}  // namespace xchat
