// Mode offline: one sender stores `count` envelopes for a receiver that is not connected
// (the store rate), then the receiver logs in and drains its queue, acknowledging as it
// goes (the time from the login reply to queue_empty and the last envelope).
#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>

#include "crypto/random.hpp"
#include "load/bench_user.hpp"
#include "load/error_tally.hpp"
#include "load/inbox.hpp"
#include "load/scenario.hpp"
#include "load/worker_pool.hpp"
#include "xchat/base64.hpp"

namespace xchat::bench {

namespace {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

// A point in time as an atomic can hold it; 0 means "not yet".
using Instant = std::atomic<Clock::rep>;

Clock::rep stamp_now() { return Clock::now().time_since_epoch().count(); }

double seconds_between(const Instant& from, const Instant& to) {
  return std::chrono::duration<double>(Clock::duration(to.load() - from.load())).count();
}

// Both users, on the one io thread this mode needs.
class OfflineWorker {
 public:
  OfflineWorker(net::io_context& ioc, const Settings& settings, const Endpoint& endpoint,
                ErrorTally& errors, std::string_view tag)
      : ioc_(ioc),
        settings_(settings),
        errors_(errors),
        sender_user_(bench_handle(tag, 's', 0)),
        receiver_user_(bench_handle(tag, 'r', 0)),
        sender_(std::make_shared<Connection>(ioc, endpoint)),
        receiver_(std::make_shared<Connection>(ioc, endpoint)) {
    send_prefix_ = R"("type":"send","to":")" + receiver_user_.handle + R"(","message_id":")";
    send_suffix_ = R"(","envelopes":[{"device_id":1,"ciphertext":")" +
                   base64_encode(crypto::random_bytes(settings.size)) + R"("}])";
    message_id_prefix_ = crypto::random_bytes(8);
  }

  // Signs the sender in; registers the receiver and leaves it anonymous.
  void start() {
    net::post(ioc_, [this] {
      sender_->set_error_handler(error_handler(sender_user_.handle));
      open_and_log_in(sender_, sender_user_, true,
                      [this](const std::string& error) { set_up_done(sender_user_, error); });
      receiver_->set_error_handler(error_handler(receiver_user_.handle));
      inbox_ =
          std::make_unique<Inbox>(*receiver_, errors_, receiver_user_.handle,
                                  Inbox::Handlers{[this](const nlohmann::json&) { on_envelope(); },
                                                  [this] { queue_empty_at.store(stamp_now()); },
                                                  {}});
      receiver_->open([this](const std::string& error) {
        if (!error.empty()) return set_up_done(receiver_user_, error);
        register_user(*receiver_, receiver_user_,
                      [this](const std::string& e) { set_up_done(receiver_user_, e); });
      });
    });
  }

  // Sends `count` envelopes to the receiver, `window` at a time.
  void store() {
    net::post(ioc_, [this] {
      first_send_at.store(stamp_now());
      pump();
    });
  }

  // Logs the receiver in; the envelopes follow the login reply.
  void drain() {
    net::post(ioc_, [this] {
      expected_ = accepted.load();
      log_in(*receiver_, receiver_user_, [this](const std::string& error) {
        if (!error.empty()) return errors_.add("setup", receiver_user_.handle + ": " + error);
        login_at.store(stamp_now());
        if (expected_ == 0) all_received_at.store(login_at.load());
      });
    });
  }

  std::atomic<std::uint64_t> ready{0};     // users set up
  std::atomic<std::uint64_t> answered{0};  // sends answered, accepted or not
  std::atomic<std::uint64_t> accepted{0};  // sends answered with a result
  std::atomic<std::uint64_t> received{0};  // envelopes received (repeats not counted)
  Instant first_send_at{0};
  Instant last_answer_at{0};
  Instant login_at{0};
  Instant queue_empty_at{0};
  Instant all_received_at{0};
  LatencyRecorder latency;  // send to accepted; read it only after the threads stopped

 private:
  Connection::ErrorHandler error_handler(const std::string& handle) {
    return [this, handle](std::string_view kind, const std::string& detail) {
      errors_.add(kind, handle + ": " + detail);
    };
  }

  void set_up_done(const BenchUser& user, const std::string& error) {
    if (error.empty()) {
      ++ready;
    } else {
      errors_.add("setup", user.handle + ": " + error);
    }
  }

  void pump() {
    while (sender_->is_open() && in_flight_ < settings_.window && sent_ < settings_.count) {
      std::string message_id = message_id_prefix_;
      for (int shift = 56; shift >= 0; shift -= 8) {
        message_id.push_back(static_cast<char>(sent_ >> shift));
      }
      ++sent_;
      ++in_flight_;
      const auto sent_at = Clock::now();
      const bool written = sender_->request(
          send_prefix_ + base64_encode(message_id) + send_suffix_,
          [this, sent_at](const nlohmann::json& reply) { on_send_reply(reply, sent_at); });
      if (!written) --in_flight_;
    }
  }

  void on_send_reply(const nlohmann::json& reply, Clock::time_point sent_at) {
    --in_flight_;
    const std::string code = error_code_of(reply);
    if (code.empty()) {
      latency.record(Clock::now() - sent_at);
      ++accepted;
    } else {
      errors_.add(code, "send by " + sender_user_.handle + ": " + error_text_of(reply));
    }
    if (++answered == settings_.count) last_answer_at.store(stamp_now());
    pump();
  }

  void on_envelope() {
    if (++received == expected_) all_received_at.store(stamp_now());
  }

  net::io_context& ioc_;
  const Settings& settings_;
  ErrorTally& errors_;
  const BenchUser sender_user_;
  const BenchUser receiver_user_;
  const std::shared_ptr<Connection> sender_;
  const std::shared_ptr<Connection> receiver_;
  std::unique_ptr<Inbox> inbox_;
  std::string send_prefix_;        // a send's members up to the message id
  std::string send_suffix_;        // and after it
  std::string message_id_prefix_;  // 8 random bytes; the send's number makes the other 8
  std::uint64_t sent_ = 0;
  std::size_t in_flight_ = 0;   // sends awaiting their reply
  std::uint64_t expected_ = 0;  // envelopes stored for the receiver when it logs in
};

}  // namespace

Outcome run_offline(const Settings& settings, const Target& target) {
  const std::string tag = make_run_tag();
  ErrorTally errors;
  Outcome out;
  out.latency_measures = "send_to_accepted";
  // One connection sends, one receives: a second thread would have nothing to do.
  WorkerPool<OfflineWorker> pool(1, [&](net::io_context& ioc, std::size_t) {
    return std::make_unique<OfflineWorker>(ioc, settings, target.endpoint, errors, tag);
  });
  OfflineWorker& worker = pool[0];
  const auto finish = [&](std::string failure) {
    pool.stop();
    out.failure = std::move(failure);
    out.errors = errors.total();
    out.error_kinds = errors.by_kind();
    out.first_error = errors.first();
    out.latency = worker.latency.summarize();
    return out;
  };

  progress("signing in the sender, registering the receiver");
  worker.start();
  std::string failure = wait_until([&] { return worker.ready == 2 || errors.total() > 0; },
                                   phase_deadline(settings), "the users to sign in", target.pid);
  if (failure.empty() && errors.total() > 0) failure = "setup failed: " + errors.first();
  if (!failure.empty()) return finish(failure);

  progress("storing " + std::to_string(settings.count) + " envelopes");
  const CpuSample store_before = sample_cpu(target.pid);
  worker.store();
  failure = wait_until([&] { return worker.answered == settings.count; }, phase_deadline(settings),
                       "the sends to be answered", target.pid,
                       [&] { progress(std::to_string(worker.answered.load()) + " stored"); });
  const CpuUse store_cpu = cpu_between(store_before, sample_cpu(target.pid));
  if (!failure.empty()) return finish(failure);
  const double store_seconds = seconds_between(worker.first_send_at, worker.last_answer_at);
  out.details["store"] = {
      {"envelopes", worker.accepted.load()},
      {"seconds", round_to(store_seconds, 6)},
      {"envelopes_per_second", round_to(static_cast<double>(worker.accepted) / store_seconds, 1)},
      {"server_cpu_seconds", round_to(store_cpu.server, 2)},
      {"generator_cpu_seconds", round_to(store_cpu.generator, 2)}};

  progress("receiver logs in and drains");
  const CpuSample drain_before = sample_cpu(target.pid);
  const std::uint64_t errors_before_drain = errors.total();
  worker.drain();
  failure = wait_until(
      [&] {
        return (worker.queue_empty_at != 0 && worker.all_received_at != 0) ||
               errors.total() > errors_before_drain;
      },
      phase_deadline(settings), "queue_empty and every stored envelope", target.pid,
      [&] { progress(std::to_string(worker.received.load()) + " received"); });
  if (failure.empty() && errors.total() > errors_before_drain) {
    failure = "the drain failed; the first error of the run: " + errors.first();
  }
  const CpuUse drain_cpu = cpu_between(drain_before, sample_cpu(target.pid));
  out.delivered = worker.received;
  out.cpu = {store_cpu.seconds + drain_cpu.seconds, store_cpu.server + drain_cpu.server,
             store_cpu.generator + drain_cpu.generator};
  if (!failure.empty()) return finish(failure);
  const double to_queue_empty = seconds_between(worker.login_at, worker.queue_empty_at);
  const double to_all = seconds_between(worker.login_at, worker.all_received_at);
  out.seconds = std::max(to_queue_empty, to_all);
  out.details["drain"] = {
      {"envelopes", worker.received.load()},
      {"seconds_to_queue_empty", round_to(to_queue_empty, 6)},
      {"seconds_to_all_envelopes", round_to(to_all, 6)},
      {"envelopes_per_second", round_to(static_cast<double>(worker.received) / out.seconds, 1)},
      {"server_cpu_seconds", round_to(drain_cpu.server, 2)},
      {"generator_cpu_seconds", round_to(drain_cpu.generator, 2)}};
  return finish("");
}

}  // namespace xchat::bench
