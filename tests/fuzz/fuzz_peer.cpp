#include "fuzz/fuzz_peer.hpp"

#include <nlohmann/json.hpp>

#include "fuzz/targets.hpp"
#include "xchat/error_code.hpp"

namespace xchat::fuzz {

namespace {

// docs/protocol.md §2: a reply echoes the id (null when it could not be read) and carries
// either a result object or an error object with a stable code and a message.
void check_reply(const std::string& frame) {
  const auto reply = nlohmann::json::parse(frame, nullptr, false);
  if (!reply.is_object()) invariant_failed("reply is not a JSON object", frame);
  const auto id = reply.find("id");
  if (id == reply.end() || !(id->is_null() || id->is_number_integer() || id->is_string())) {
    invariant_failed("reply without a valid id", frame);
  }
  const auto result = reply.find("result");
  const auto error = reply.find("error");
  if ((result == reply.end()) == (error == reply.end())) {
    invariant_failed("reply needs exactly one of result and error", frame);
  }
  if (result != reply.end() && !result->is_object()) {
    invariant_failed("reply result is not an object", frame);
  }
  if (error != reply.end()) {
    const auto code = error->find("code");
    if (!error->is_object() || code == error->end() || !code->is_string() ||
        !error_code_from_string(code->get<std::string>()) || !error->contains("message") ||
        !(*error)["message"].is_string()) {
      invariant_failed("reply error without a known code and a message", frame);
    }
  }
}

// A push: an object with a type and no id.
void check_push(const std::string& frame) {
  const auto push = nlohmann::json::parse(frame, nullptr, false);
  if (!push.is_object() || !push.contains("type") || !push["type"].is_string() ||
      push.contains("id")) {
    invariant_failed("push is not an object with a type and no id", frame);
  }
}

}  // namespace

FuzzPeer::FuzzPeer(boost::asio::io_context& ioc, net::SessionRegistry& registry,
                   std::string client_ip)
    : strand_(boost::asio::make_strand(ioc)), registry_(registry) {
  context_.client_ip = std::move(client_ip);
}

FuzzPeer::~FuzzPeer() {
  registry_.remove(this);
  if (context_.principal) {
    registry_.unbind_device({context_.principal->account_id, context_.principal->device_id}, this);
  }
}

void FuzzPeer::registered() { registry_.add(shared_from_this()); }

void FuzzPeer::send(std::shared_ptr<const std::string> frame) { check_push(*frame); }

void FuzzPeer::send_best_effort(std::shared_ptr<const std::string> frame) { check_push(*frame); }

void FuzzPeer::reply(std::string frame) {
  check_reply(frame);
  {
    std::lock_guard lock(mu_);
    ++replies_;
    last_reply_ = std::move(frame);
  }
  replied_.notify_all();
}

void FuzzPeer::close(net::CloseCode, std::string_view) {
  std::lock_guard lock(mu_);
  closed_ = true;
}

bool FuzzPeer::await_replies(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return replied_.wait_for(lock, timeout, [&] { return replies_ >= count; });
}

std::size_t FuzzPeer::replies() const {
  std::lock_guard lock(mu_);
  return replies_;
}

std::string FuzzPeer::last_reply() const {
  std::lock_guard lock(mu_);
  return last_reply_;
}

bool FuzzPeer::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

}  // namespace xchat::fuzz
