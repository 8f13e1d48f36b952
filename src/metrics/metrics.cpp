#include "metrics/metrics.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace xchat {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

void Metrics::count_error(ErrorCode code) {
  errors_[static_cast<std::size_t>(code)].fetch_add(1, kRelaxed);
}

void Metrics::observe_commit(std::chrono::nanoseconds latency, std::size_t ops, bool ok) {
  transactions_.fetch_add(1, kRelaxed);
  if (!ok) transactions_failed_.fetch_add(1, kRelaxed);
  store_ops_.fetch_add(ops, kRelaxed);
  commit_sum_ns_.fetch_add(static_cast<std::uint64_t>(latency.count()), kRelaxed);
  const double seconds = std::chrono::duration<double>(latency).count();
  std::size_t i = 0;
  while (i < kCommitBuckets.size() && seconds > kCommitBuckets[i]) ++i;
  commit_buckets_[i].fetch_add(1, kRelaxed);
}

std::string Metrics::render() const {
  std::ostringstream o;
  auto gauge = [&o](const char* name, const char* help, auto value) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " gauge\n"
      << name << ' ' << value << '\n';
  };
  auto counter = [&o](const char* name, const char* help, auto value) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n"
      << name << ' ' << value << '\n';
  };
  gauge("xchatd_connections_open", "Open TCP connections.", connections_open.load(kRelaxed));
  gauge("xchatd_attachment_transfers", "Attachment uploads and downloads in progress.",
        attachment_transfers.load(kRelaxed));
  gauge("xchatd_storage_free_bytes", "Bytes available in the data directory's filesystem.",
        storage_free_bytes.load(kRelaxed));
  gauge("xchatd_storage_min_free_bytes",
        "The reserve (storage.min_free_bytes) under which writes are refused.",
        storage_min_free_bytes.load(kRelaxed));
  gauge("xchatd_storage_full",
        "1 while writes that grow the store are refused with storage_full, else 0.",
        storage_full.load(kRelaxed));
  gauge("xchatd_websocket_sessions", "Open WebSocket sessions.", websocket_sessions.load(kRelaxed));
  gauge("xchatd_sessions_authenticated", "Logged-in WebSocket sessions.",
        sessions_authenticated.load(kRelaxed));
  counter("xchatd_connections_rejected_total", "Connections refused by a connection limit.",
          connections_rejected.load(kRelaxed));
  counter("xchatd_frames_in_total", "WebSocket frames received.", frames_in.load(kRelaxed));
  counter("xchatd_frames_out_total", "WebSocket frames sent.", frames_out.load(kRelaxed));
  counter("xchatd_slow_consumer_closes_total",
          "Sessions closed because their outbound queue passed its limit.",
          slow_consumer_closes.load(kRelaxed));
  counter("xchatd_envelopes_stored_total", "Envelopes committed to device queues.",
          envelopes_stored.load(kRelaxed));
  counter("xchatd_envelopes_sent_total", "Envelopes pushed to devices, ephemeral ones included.",
          envelopes_sent.load(kRelaxed));
  counter("xchatd_envelopes_acked_total", "Envelopes acknowledged by their devices and deleted.",
          envelopes_acked.load(kRelaxed));
  counter("xchatd_envelopes_expired_total",
          "Envelopes deleted by their vanishing timer or the retention limit.",
          envelopes_expired.load(kRelaxed));
  counter("xchatd_envelopes_unsent_total",
          "Undelivered envelopes deleted because their sender unsent the message.",
          envelopes_unsent.load(kRelaxed));
  counter("xchatd_wal_checkpoints_total", "Checkpoints that truncated the write-ahead log.",
          wal_checkpoints.load(kRelaxed));
  counter("xchatd_wal_checkpoints_failed_total",
          "Truncating checkpoints that a reader or an error prevented (retried).",
          wal_checkpoints_failed.load(kRelaxed));
  counter("xchatd_attachments_created_total", "Attachment uploads created.",
          attachments_created.load(kRelaxed));
  counter("xchatd_attachments_completed_total", "Attachment uploads finished.",
          attachments_completed.load(kRelaxed));
  counter("xchatd_attachments_deleted_total",
          "Attachments deleted: expired, vanished, timed out unfinished, or by their owner.",
          attachments_deleted.load(kRelaxed));
  counter("xchatd_attachment_bytes_received_total", "Attachment bytes uploaded.",
          attachment_bytes_received.load(kRelaxed));
  counter("xchatd_attachment_bytes_sent_total", "Attachment bytes downloaded.",
          attachment_bytes_sent.load(kRelaxed));

  o << "# HELP xchatd_errors_total Error replies sent, by code.\n"
       "# TYPE xchatd_errors_total counter\n";
  for (int i = 1; i < kErrorCodeCount; ++i) {
    o << "xchatd_errors_total{code=\"" << to_string(static_cast<ErrorCode>(i)) << "\"} "
      << errors_[static_cast<std::size_t>(i)].load(kRelaxed) << '\n';
  }

  counter("xchatd_store_transactions_total", "Store write transactions.",
          transactions_.load(kRelaxed));
  counter("xchatd_store_transactions_failed_total", "Store write transactions that failed.",
          transactions_failed_.load(kRelaxed));
  counter("xchatd_store_operations_total", "Write operations carried by those transactions.",
          store_ops_.load(kRelaxed));
  o << "# HELP xchatd_store_commit_seconds Time from BEGIN to COMMIT of a store transaction.\n"
       "# TYPE xchatd_store_commit_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kCommitBuckets.size(); ++i) {
    cumulative += commit_buckets_[i].load(kRelaxed);
    o << "xchatd_store_commit_seconds_bucket{le=\"" << kCommitBuckets[i] << "\"} " << cumulative
      << '\n';
  }
  cumulative += commit_buckets_.back().load(kRelaxed);
  o << "xchatd_store_commit_seconds_bucket{le=\"+Inf\"} " << cumulative << '\n'
    << "xchatd_store_commit_seconds_sum "
    << static_cast<double>(commit_sum_ns_.load(kRelaxed)) / 1e9 << '\n'
    << "xchatd_store_commit_seconds_count " << cumulative << '\n';

  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", resident_bytes());
  return o.str();
}

}  // namespace xchat
