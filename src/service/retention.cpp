#include "service/retention.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "store/envelopes.hpp"
#include "store/sends.hpp"

namespace xchat {

namespace {
constexpr std::int64_t kMillisPerHour = 3'600'000;
}  // namespace

store::Writer::Work Retention::batch(bool* more) const {
  const auto config = settings_.get();
  const std::int64_t now = clock_.unix_millis();
  const std::int64_t envelope_cutoff =
      now - config->messages.max_retention_days * 24 * kMillisPerHour;
  const std::int64_t send_cutoff = now - config->messages.dedup_window_hours * kMillisPerHour;
  return [envelope_cutoff, send_cutoff, more](store::Database& db) -> Status {
    auto envelopes = store::envelopes::purge_older_than(db, envelope_cutoff, kBatch);
    if (!envelopes) return envelopes.status();
    auto sends = store::sends::purge_older_than(db, send_cutoff, kBatch);
    if (!sends) return sends.status();
    if (*envelopes > 0) spdlog::info("deleted {} envelopes past their retention", *envelopes);
    *more = *envelopes == kBatch || *sends == kBatch;
    return Status::ok();
  };
}

Status Retention::purge_now() {
  bool more = true;
  while (more) {
    if (Status s = store_.writer().run(batch(&more)); !s) return s;
  }
  return Status::ok();
}

void Retention::start() { schedule(); }

void Retention::schedule() {
  timer_.expires_after(kInterval);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) run_batches();
  });
}

void Retention::run_batches() {
  auto more = std::make_shared<bool>(false);
  store_.writer().submit(batch(more.get()), [this, more](Status s) {
    // On the writer thread: the next step belongs on the io_context.
    boost::asio::post(timer_.get_executor(), [this, more, s = std::move(s)] {
      if (!s) {
        if (s.code() == ErrorCode::kUnavailable) return;  // shutting down
        spdlog::error("retention purge: {}", s.message());
      }
      if (s && *more) return run_batches();
      schedule();
    });
  });
}

}  // namespace xchat
