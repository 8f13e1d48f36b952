#include "load/pairs_worker.hpp"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <optional>

#include "crypto/random.hpp"
#include "load/bench_user.hpp"
#include "load/inbox.hpp"
#include "xchat/base64.hpp"

namespace xchat::bench {

namespace {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

// The first kStampBytes of every ciphertext carry the send's time, so that the receiver
// can compute the latency without sharing a table with the sender: the server never reads
// a ciphertext. The stamp is 8 bytes of steady_clock nanoseconds and one byte of the
// random payload, a whole number of base64 groups, so it is encoded apart and the rest of
// the ciphertext is encoded once per sender.
static_assert(kStampBytes == sizeof(std::int64_t) + 1 && kStampBytes % 3 == 0);
constexpr std::size_t kStampChars = kStampBytes / 3 * 4;

// A message id is 16 bytes: a random prefix, a whole number of base64 groups encoded once
// per sender, and a counter. The counter's 4 bytes encode to 8 characters, short enough
// for std::string's inline buffer: a send allocates nothing for its id.
constexpr std::size_t kMessageIdPrefixBytes = 12;
static_assert(kMessageIdPrefixBytes % 3 == 0);

// Connections of one worker signing in at the same time.
constexpr std::size_t kSetupConcurrency = 32;

// Between the command to begin and the first send, so that every worker has its schedule
// before it starts.
constexpr auto kStartDelay = std::chrono::milliseconds(50);

std::string stamp_base64(Clock::time_point t, char pad) {
  const std::int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  char bytes[kStampBytes];
  std::memcpy(bytes, &ns, sizeof ns);
  bytes[sizeof ns] = pad;
  return base64_encode(std::string_view(bytes, kStampBytes));
}

std::optional<Clock::time_point> read_stamp(std::string_view ciphertext) {
  if (ciphertext.size() < kStampChars) return std::nullopt;
  const auto bytes = base64_decode(ciphertext.substr(0, kStampChars));
  if (!bytes || bytes->size() != kStampBytes) return std::nullopt;
  std::int64_t ns = 0;
  std::memcpy(&ns, bytes->data(), sizeof ns);
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

std::string counter_base64(std::uint32_t counter) {
  char bytes[sizeof counter];
  for (std::size_t i = 0; i < sizeof counter; ++i) {
    bytes[i] = static_cast<char>(counter >> (8 * (sizeof counter - 1 - i)));
  }
  return base64_encode(std::string_view(bytes, sizeof counter));
}

}  // namespace

PairsTimeline pairs_timeline(double warmup, double seconds) {
  const auto to_clock = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  PairsTimeline timeline;
  timeline.start = Clock::now() + kStartDelay;
  timeline.measure_from = timeline.start + to_clock(warmup);
  timeline.measure_until = timeline.measure_from + to_clock(seconds);
  return timeline;
}

struct Pair {
  Pair(net::io_context& ioc, const Endpoint& endpoint, std::string_view tag, std::size_t i,
       std::size_t size)
      : index(i),
        sender_user(bench_handle(tag, 's', i)),
        receiver_user(bench_handle(tag, 'r', i)),
        sender(std::make_shared<Connection>(ioc, endpoint)),
        receiver(std::make_shared<Connection>(ioc, endpoint)),
        timer(ioc) {
    const std::string payload = crypto::random_bytes(size);
    stamp_pad = payload[kStampBytes - 1];
    ciphertext_tail = base64_encode(std::string_view(payload).substr(kStampBytes));
    send_prefix = R"("type":"send","to":")" + receiver_user.handle + R"(","message_id":")";
    send_prefix += base64_encode(crypto::random_bytes(kMessageIdPrefixBytes));
    members.reserve(send_prefix.size() + ciphertext_tail.size() + 128);
  }

  const std::size_t index;  // among all pairs of the run
  const BenchUser sender_user;
  const BenchUser receiver_user;
  const std::shared_ptr<Connection> sender;
  const std::shared_ptr<Connection> receiver;
  std::unique_ptr<Inbox> inbox;
  SetupQueue::Finished receiver_setup_finished;  // called at the receiver's queue_empty

  std::string send_prefix;      // a send's members up to the message id's counter
  std::string ciphertext_tail;  // base64 of the payload after the stamp
  char stamp_pad = 0;           // the payload byte inside the stamp
  std::string members;          // the send being built; its capacity is reused
  std::uint64_t messages = 0;   // sends made, which also numbers the message ids
  std::size_t in_flight = 0;    // sends awaiting their reply

  // Wakes the sender at the start and, in rate mode, when its next send falls due: send k
  // falls due at first_due + k * interval.
  net::steady_timer timer;
  bool timer_armed = false;
  Clock::time_point first_due;
};

PairsWorker::PairsWorker(net::io_context& ioc, const Settings& settings, const Endpoint& endpoint,
                         ErrorTally& errors, std::string_view tag, std::size_t first,
                         std::size_t stride)
    : ioc_(ioc), settings_(settings), errors_(errors), setup_(kSetupConcurrency) {
  for (std::size_t i = first; i < settings.pairs; i += stride) {
    pairs_.push_back(std::make_unique<Pair>(ioc, endpoint, tag, i, settings.size));
  }
  // A sender's sends fall due `pairs / rate` seconds apart.
  interval_ = std::chrono::duration<double, std::nano>(1e9 * static_cast<double>(settings.pairs) /
                                                       settings.rate);
}

PairsWorker::~PairsWorker() = default;

void PairsWorker::start() {
  net::post(ioc_, [this] {
    for (auto& pair : pairs_) {
      Pair& p = *pair;
      setup_.add(
          [this, &p](SetupQueue::Finished finished) { set_up_receiver(p, std::move(finished)); });
      setup_.add(
          [this, &p](SetupQueue::Finished finished) { set_up_sender(p, std::move(finished)); });
    }
  });
}

void PairsWorker::begin(const PairsTimeline& timeline) {
  net::post(ioc_, [this, timeline] {
    timeline_ = timeline;
    const bool paced = settings_.mode != Mode::kPairs;
    for (auto& pair : pairs_) {
      Pair& p = *pair;
      // Paced senders are staggered over one interval, so that the aggregate is smooth.
      p.first_due = timeline_.start + (paced ? std::chrono::duration_cast<Clock::duration>(
                                                   interval_ * static_cast<double>(p.index) /
                                                   static_cast<double>(settings_.pairs))
                                             : Clock::duration::zero());
      arm(p, p.first_due);
    }
  });
}

std::future<LatencyRecorder> PairsWorker::take_interval_latency() {
  auto promise = std::make_shared<std::promise<LatencyRecorder>>();
  auto taken = promise->get_future();
  net::post(ioc_, [this, promise] { promise->set_value(std::exchange(interval_latency_, {})); });
  return taken;
}

Connection::ErrorHandler PairsWorker::error_handler(const std::string& handle) {
  return [this, handle](std::string_view kind, const std::string& detail) {
    errors_.add(kind, handle + ": " + detail);
  };
}

// A receiver is ready when its queue_empty arrives: from then on, envelopes come live.
void PairsWorker::set_up_receiver(Pair& p, SetupQueue::Finished finished) {
  p.receiver->set_error_handler(error_handler(p.receiver_user.handle));
  p.receiver_setup_finished = std::move(finished);
  p.inbox = std::make_unique<Inbox>(
      *p.receiver, errors_, p.receiver_user.handle,
      Inbox::Handlers{[this](const nlohmann::json& envelope) { on_envelope(envelope); },
                      [this, &p] {
                        if (auto finished = std::exchange(p.receiver_setup_finished, nullptr)) {
                          ++counters.ready;
                          finished();
                        }
                      },
                      {}});
  open_and_log_in(p.receiver, p.receiver_user, true, [this, &p](const std::string& error) {
    if (error.empty()) return;
    errors_.add("setup", p.receiver_user.handle + ": " + error);
    if (auto finished = std::exchange(p.receiver_setup_finished, nullptr)) finished();
  });
}

void PairsWorker::set_up_sender(Pair& p, SetupQueue::Finished finished) {
  p.sender->set_error_handler(error_handler(p.sender_user.handle));
  open_and_log_in(p.sender, p.sender_user, true,
                  [this, &p, finished = std::move(finished)](const std::string& error) {
                    if (error.empty()) {
                      ++counters.ready;
                    } else {
                      errors_.add("setup", p.sender_user.handle + ": " + error);
                    }
                    finished();
                  });
}

void PairsWorker::arm(Pair& p, Clock::time_point when) {
  if (p.timer_armed) return;
  p.timer_armed = true;
  p.timer.expires_at(when);
  p.timer.async_wait([this, &p](boost::system::error_code ec) {
    p.timer_armed = false;
    if (!ec) pump(p);
  });
}

// Sends what may be sent now: pairs mode keeps the window full until the end; paced modes
// send every send that fell due (late ones too, with their due time as the stamp, so that
// a stalled server shows in the latency) while the window has room, then wait for the
// next due time or for a reply.
void PairsWorker::pump(Pair& p) {
  const auto now = Clock::now();
  if (settings_.mode == Mode::kPairs) {
    while (p.sender->is_open() && p.in_flight < settings_.window && now < timeline_.measure_until) {
      send(p, Clock::now());
    }
    return;
  }
  while (p.sender->is_open()) {
    const auto due = p.first_due + std::chrono::duration_cast<Clock::duration>(
                                       interval_ * static_cast<double>(p.messages));
    if (due >= timeline_.measure_until) return;
    if (due > now) return arm(p, due);
    if (p.in_flight >= settings_.window) return;  // a reply pumps again
    send(p, due);
  }
}

void PairsWorker::send(Pair& p, Clock::time_point stamp) {
  const auto counter = static_cast<std::uint32_t>(p.messages++);
  p.members.assign(p.send_prefix)
      .append(counter_base64(counter))
      .append(R"(","envelopes":[{"device_id":1,"ciphertext":")")
      .append(stamp_base64(stamp, p.stamp_pad))
      .append(p.ciphertext_tail)
      .append(R"("}])");
  // Counted before the request: a failing connection answers at once, from inside it.
  ++p.in_flight;
  ++counters.sent;
  const bool written = p.sender->request(
      p.members, [this, &p](const nlohmann::json& reply) { on_send_reply(p, reply); });
  if (!written) {
    --p.in_flight;
    --counters.sent;
  }
}

void PairsWorker::on_send_reply(Pair& p, const nlohmann::json& reply) {
  --p.in_flight;
  if (reply.contains("result")) {
    ++counters.accepted;
  } else {
    errors_.add(error_code_of(reply),
                "send by " + p.sender_user.handle + ": " + error_text_of(reply));
  }
  // After `accepted`: the main thread reads `answered` first.
  ++counters.answered;
  pump(p);
}

void PairsWorker::on_envelope(const nlohmann::json& envelope) {
  const auto now = Clock::now();
  ++counters.received;
  if (now >= timeline_.measure_from && now < timeline_.measure_until) {
    ++counters.received_in_window;
  }
  const auto ciphertext = envelope.find("ciphertext");
  const auto stamp = ciphertext != envelope.end() && ciphertext->is_string()
                         ? read_stamp(ciphertext->get_ref<const std::string&>())
                         : std::nullopt;
  if (!stamp) {
    errors_.add("ciphertext_changed", "an envelope without the generator's time stamp");
    return;
  }
  if (*stamp >= timeline_.measure_from && *stamp < timeline_.measure_until) {
    latency.record(now - *stamp);
    interval_latency_.record(now - *stamp);
  }
}

std::uint64_t total(WorkerPool<PairsWorker>& pool,
                    std::atomic<std::uint64_t> PairsCounters::*counter) {
  std::uint64_t sum = 0;
  pool.for_each([&](PairsWorker& w) { sum += (w.counters.*counter).load(); });
  return sum;
}

std::string sign_in_pairs(WorkerPool<PairsWorker>& pool, const Settings& settings,
                          const ErrorTally& errors, pid_t server) {
  const std::uint64_t users = 2 * settings.pairs;
  progress("signing in " + std::to_string(users) + " users");
  pool.for_each([](PairsWorker& w) { w.start(); });
  std::string failure =
      wait_until([&] { return total(pool, &PairsCounters::ready) == users || errors.total() > 0; },
                 phase_deadline(settings),
                 "the users to sign in (receivers: until their queue_empty)", server);
  if (failure.empty() && errors.total() > 0) failure = "setup failed: " + errors.first();
  if (failure.empty()) return "";
  return failure + fmt::format(" ({} of {} signed in)", total(pool, &PairsCounters::ready), users);
}

std::string wait_for_last_envelopes(WorkerPool<PairsWorker>& pool, const Settings& settings,
                                    pid_t server) {
  progress("waiting for the last envelopes");
  std::string failure = wait_until(
      [&] {
        // `answered` first: it is counted after `accepted`.
        const std::uint64_t answered = total(pool, &PairsCounters::answered);
        return answered == total(pool, &PairsCounters::sent) &&
               total(pool, &PairsCounters::received) >= total(pool, &PairsCounters::accepted);
      },
      phase_deadline(settings), "the last envelopes to be delivered", server);
  if (failure.empty()) return "";
  const auto missing = [&](std::atomic<std::uint64_t> PairsCounters::*more,
                           std::atomic<std::uint64_t> PairsCounters::*fewer) {
    return static_cast<std::int64_t>(total(pool, more)) -
           static_cast<std::int64_t>(total(pool, fewer));
  };
  return failure + fmt::format(" ({} sends unanswered, {} envelopes not received)",
                               missing(&PairsCounters::sent, &PairsCounters::answered),
                               missing(&PairsCounters::accepted, &PairsCounters::received));
}

void add_pairs_results(WorkerPool<PairsWorker>& pool, Outcome& out) {
  out.details["sent"] = total(pool, &PairsCounters::sent);
  out.details["accepted"] = total(pool, &PairsCounters::accepted);
  out.details["received"] = total(pool, &PairsCounters::received);
  LatencyRecorder latency;
  pool.for_each([&](PairsWorker& w) { latency.merge(w.latency); });
  out.latency = latency.summarize();
}

}  // namespace xchat::bench
