#include "messenger/attachment_http.hpp"

#include <nlohmann/json.hpp>
#include <thread>

#include "xchat/error_code.hpp"

namespace xchat::client {

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{250};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

// The error code an HTTP status stands for when the body names none this client knows.
ErrorCode code_for_status(int status) {
  switch (status) {
    case 400:
      return ErrorCode::kBadRequest;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 404:
      return ErrorCode::kNotFound;
    case 413:
      return ErrorCode::kTooLarge;
    case 429:
      return ErrorCode::kRateLimited;
    default:
      return status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInternal;
  }
}

}  // namespace

AttachmentHttp::AttachmentHttp(const ServerUrl& server, ConnectOptions base, TokenSource tokens)
    : port_(server.port),
      options_(server.options(std::move(base))),
      base_target_(server.attachments_target()),
      tokens_(std::move(tokens)) {}

Result<HttpResponse> AttachmentHttp::send(HttpRequest request, const BodySink& sink) {
  request.target = base_target_ + request.target;
  auto response = send_once(request, sink);
  if (response && response->status == 401 && request.body_length == 0) {
    response = send_once(request, sink);
  }
  return response;
}

Result<HttpResponse> AttachmentHttp::send_once(const HttpRequest& request, const BodySink& sink) {
  if (!token_) {
    auto token = tokens_();
    if (!token) return token.status();
    token_ = std::move(*token);
  }
  if (!client_ || !client_->is_open()) {
    auto connected = HttpClient::connect(port_, options_);
    if (!connected) return connected.status();
    client_ = std::move(*connected);
  }
  HttpRequest authorized = request;
  authorized.headers.emplace_back("Authorization", "Bearer " + *token_);
  auto response = client_->exchange(authorized, sink);
  if (response && response->status == 401) token_.reset();
  return response;
}

bool AttachmentHttp::again(bool progressed) {
  failures_in_a_row_ = progressed ? 1 : failures_in_a_row_ + 1;
  if (progressed) backoff_ = kFirstBackoff;
  if (++failures_ > kMaxFailures || failures_in_a_row_ > kMaxFailuresInARow) return false;
  std::this_thread::sleep_for(backoff_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  return true;
}

Status AttachmentHttp::refusal(const HttpResponse& response) {
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  const auto text = [&](const char* name) -> std::string {
    if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) return {};
    const auto& field = body["error"].value(name, nlohmann::json());
    return field.is_string() ? field.get<std::string>() : std::string();
  };
  const std::string code = text("code");
  const std::string message = text("message");
  const auto known = error_code_from_string(code);
  const bool usable =
      known.has_value() && !(response.status >= 500 && *known == ErrorCode::kInternal);
  return Status(usable ? *known : code_for_status(response.status),
                (message.empty() ? "the server refused the transfer" : message) + " (HTTP " +
                    std::to_string(response.status) + ")");
}

bool AttachmentHttp::retryable(const Result<HttpResponse>& outcome) {
  if (!outcome) return outcome.status().code() == ErrorCode::kUnavailable;
  const int status = outcome->status;
  return status == 401 || status == 409 || status >= 500;
}

Status AttachmentHttp::failure(const Result<HttpResponse>& outcome) {
  return outcome ? refusal(*outcome) : outcome.status();
}

}  // namespace xchat::client
