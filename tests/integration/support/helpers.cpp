#include "integration/support/helpers.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace xchat::testing {

using nlohmann::json;

std::string error_code(const json& reply) {
  return reply.contains("error") ? reply["error"].value("code", "") : "";
}

std::unique_ptr<WsClient> connect_or_fail(const Daemon& daemon, const ConnectOptions& options) {
  std::string error;
  auto client = WsClient::connect(daemon.port(), options, &error);
  EXPECT_NE(client, nullptr) << error;
  return client;
}

ConnectOptions from_address(const std::string& local_address) {
  ConnectOptions options;
  options.local_address = local_address;
  return options;
}

std::unique_ptr<WsClient> log_in_on_new_connection(const Daemon& daemon, const TestUser& user,
                                                   json* login_reply) {
  auto client = connect_or_fail(daemon);
  if (client == nullptr) return client;
  auto reply = login(*client, user);
  EXPECT_TRUE(reply.contains("result"))
      << user.handle << " device " << user.device_id << ": " << reply.dump();
  if (login_reply != nullptr) *login_reply = reply;
  return reply.contains("result") ? std::move(client) : nullptr;
}

std::unique_ptr<WsClient> register_and_log_in(const Daemon& daemon, const TestUser& user) {
  auto client = connect_or_fail(daemon);
  if (client == nullptr) return client;
  auto reply = register_user(*client, user);
  EXPECT_TRUE(reply.contains("result")) << user.handle << ": " << reply.dump();
  reply = login(*client, user);
  EXPECT_TRUE(reply.contains("result"))
      << user.handle << " device " << user.device_id << ": " << reply.dump();
  return reply.contains("result") ? std::move(client) : nullptr;
}

bool register_offline(const Daemon& daemon, const TestUser& user) {
  auto client = connect_or_fail(daemon);
  if (client == nullptr) return false;
  const auto reply = register_user(*client, user);
  EXPECT_TRUE(reply.contains("result")) << user.handle << ": " << reply.dump();
  return reply.contains("result");
}

bool publish_keys(const Daemon& daemon, const TestUser& user) {
  auto client = log_in_on_new_connection(daemon, user);
  if (client == nullptr) return false;
  const auto reply = client->request(keys_upload_request(user, DeviceKeys::generate(1)));
  EXPECT_TRUE(reply.contains("result")) << user.handle << ": " << reply.dump();
  return reply.contains("result");
}

std::optional<TestUser> add_device(WsClient& client, const TestUser& user, std::uint32_t id) {
  const KeyPair key = KeyPair::generate();
  const auto reply =
      client.request({{"type", "device.add"}, {"device", user.device_object(id, key)}});
  EXPECT_TRUE(reply.contains("result")) << user.handle << " device " << id << ": " << reply.dump();
  if (!reply.contains("result")) return std::nullopt;
  return user.with_device(id, key);
}

std::vector<json> request_all(WsClient& client, std::vector<json> requests, std::size_t window,
                              std::chrono::milliseconds timeout) {
  std::vector<json> replies(requests.size());
  std::size_t sent = 0;
  std::size_t answered = 0;
  while (answered < requests.size()) {
    while (sent < requests.size() && sent - answered < window) {
      requests[sent]["id"] = "all-" + std::to_string(sent);
      if (!client.send_text(requests[sent].dump(), timeout)) return replies;
      ++sent;
    }
    auto frame = client.read_json(timeout);
    if (!frame) return replies;
    const json id = frame->is_object() ? frame->value("id", json()) : json();
    if (id.is_string() && id.get<std::string>().rfind("all-", 0) == 0) {
      const std::size_t index = std::stoul(id.get<std::string>().substr(4));
      if (index < replies.size() && replies[index].is_null()) {
        replies[index] = std::move(*frame);
        ++answered;
        continue;
      }
    }
    client.pushes().push_back(std::move(*frame));
  }
  return replies;
}

bool pings(WsClient& client) {
  return client.request({{"type", "ping"}}, std::chrono::seconds(5)).contains("result");
}

json poll_while(WsClient& client, const json& request, const std::string& while_code) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  json reply = client.request(request);
  while (!reply.is_null() && error_code(reply) == while_code &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    reply = client.request(request);
  }
  return reply;
}

std::optional<double> metric_sample(const std::string& metrics, const std::string& series) {
  std::istringstream lines(metrics);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

std::string scrape_metrics(const Daemon& daemon) {
  std::string body;
  EXPECT_EQ(daemon.http_get("/metrics", &body), 200);
  return body;
}

double metric_value(const Daemon& daemon, const std::string& series) {
  return metric_sample(scrape_metrics(daemon), series).value_or(-1);
}

}  // namespace xchat::testing
