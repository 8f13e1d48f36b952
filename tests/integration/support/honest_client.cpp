#include "integration/support/honest_client.hpp"

#include <gtest/gtest.h>

#include "integration/support/latency_report.hpp"
#include "integration/support/messaging.hpp"

namespace xchat::testing {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Handles unique within a test process, in case a test starts two.
std::string next_handle(char side) {
  static std::atomic<int> counter{0};
  return std::string("@Honest") + std::to_string(counter.fetch_add(1)) + side;
}

}  // namespace

HonestClient::HonestClient(const Daemon& daemon, Options options)
    : daemon_(daemon), options_(std::move(options)), a_(next_handle('a')), b_(next_handle('b')) {
  ConnectOptions connect;
  connect.local_address = options_.local_address;
  std::string error;
  auto setup = WsClient::connect(daemon_.port(), connect, &error);
  if (setup == nullptr) {
    fail("connecting to register: " + error);
    return;
  }
  for (const TestUser* user : {&a_, &b_}) {
    const json reply = register_user(*setup, *user);
    if (!reply.contains("result")) {
      fail("registering " + user->handle + ": " + reply.dump());
      return;
    }
  }
  if (!connect_both()) return;
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

HonestClient::~HonestClient() { stop(); }

void HonestClient::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

bool HonestClient::wait_for_round_trips(std::int64_t n, std::chrono::milliseconds timeout) {
  const std::int64_t target = round_trips_.load() + n;
  const auto deadline = Clock::now() + timeout;
  while (round_trips_.load() < target) {
    if (Clock::now() >= deadline || !thread_.joinable()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::string HonestClient::last_failure() const {
  std::lock_guard lock(mu_);
  return last_failure_;
}

void HonestClient::fail(const std::string& why) {
  failures_.fetch_add(1);
  std::lock_guard lock(mu_);
  last_failure_ = why;
}

bool HonestClient::connect_both() {
  // The old connections go first: a newer login of the same device would close them.
  session_a_.reset();
  session_b_.reset();
  ConnectOptions connect;
  connect.local_address = options_.local_address;
  connect.timeout = std::chrono::seconds(5);
  for (auto [user, session] : {std::pair{&a_, &session_a_}, std::pair{&b_, &session_b_}}) {
    std::string error;
    auto client = WsClient::connect(daemon_.port(), connect, &error);
    if (client == nullptr) {
      fail("connecting " + user->handle + ": " + error);
      return false;
    }
    const json reply = login(*client, *user);
    if (!reply.contains("result")) {
      fail("logging in " + user->handle + ": " + reply.dump());
      return false;
    }
    *session = std::move(client);
  }
  return true;
}

bool HonestClient::round_trip(bool a_to_b) {
  WsClient& sender = a_to_b ? *session_a_ : *session_b_;
  WsClient& receiver = a_to_b ? *session_b_ : *session_a_;
  const TestUser& to = a_to_b ? b_ : a_;
  const auto start = Clock::now();
  const json reply = sender.request(send_request(to.handle, random_ciphertexts({to.device_id})),
                                    std::chrono::seconds(10));
  if (!reply.contains("result")) {
    fail("send to " + to.handle + ": " + reply.dump());
    return false;
  }
  const Delivery delivery = receive_envelopes(receiver, 1, Ack::kEach, std::chrono::seconds(10));
  if (!delivery.problem.empty() || delivery.envelopes.size() != 1) {
    fail(to.handle + " receiving: " + (delivery.problem.empty() ? "no envelope" : delivery.problem));
    return false;
  }
  latency_.record(Clock::now() - start);
  // A sender's own connection gets nothing but replies; drop the login's queue_empty.
  sender.pushes().clear();
  return true;
}

void HonestClient::run() {
  bool a_to_b = true;
  int since_connect = 0;
  while (!stopping_) {
    const bool due =
        options_.reconnect_every > 0 && since_connect >= options_.reconnect_every;
    if (session_a_ == nullptr || due) {
      if (!connect_both()) {
        std::this_thread::sleep_for(options_.pause);
        continue;
      }
      if (due) reconnects_.fetch_add(1);
      since_connect = 0;
    }
    if (round_trip(a_to_b)) {
      round_trips_.fetch_add(1);
      ++since_connect;
      a_to_b = !a_to_b;
    } else {
      session_a_.reset();  // reconnect before the next try
    }
    std::this_thread::sleep_for(options_.pause);
  }
}

void expect_served(HonestClient& honest, std::int64_t min_round_trips) {
  honest.stop();
  report_latency("honest client", honest.latency());
  EXPECT_EQ(honest.failures(), 0) << "last failure: " << honest.last_failure();
  EXPECT_GE(honest.round_trips(), min_round_trips);
}

}  // namespace xchat::testing
