#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "messenger/server_url.hpp"
#include "net/http_client.hpp"
#include "xchat/status.hpp"

namespace xchat::client {

// A short-lived bearer token for the attachment endpoints, asked for over the WebSocket.
using TokenSource = std::function<Result<std::string>()>;
// How far a transfer is: bytes done of the total. Called often; must be cheap.
using TransferProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// The HTTP side of one attachment transfer (docs/protocol.md §10): a connection to the
// server's attachment endpoints, made again after a failure; the bearer token, fetched
// when first needed and again after a 401 (tokens also die with a server restart); and the
// retry budget with its backoff, shared by every step of the transfer. Not thread-safe:
// one owner.
class AttachmentHttp {
 public:
  // Failed attempts allowed in a row with no byte moved between them, and in all.
  static constexpr int kMaxFailuresInARow = 5;
  static constexpr int kMaxFailures = 20;

  // REQUIRES: `tokens` gives tokens for the requests that will be sent.
  AttachmentHttp(const ServerUrl& server, ConnectOptions base, TokenSource tokens);

  // Sends `request`, its target taken relative to the attachments path ("" or "/ID/upload")
  // and an Authorization header added, and returns the response whatever its status. A
  // 401 drops the token, so that the next request gets a new one; a request without a body
  // is then sent once more at once. kUnavailable when the connection failed (it is made
  // again next time); the token source's Status when it gave none.
  Result<HttpResponse> send(HttpRequest request, const BodySink& sink = {});

  // After a failed attempt: whether to try again, having waited a short backoff (250 ms,
  // doubling to 2 s). No after kMaxFailuresInARow failures with nothing `progressed`
  // (moved) between them, or kMaxFailures in all.
  bool again(bool progressed);

  // The refusal in an error response as a Status: the JSON error's code and message; a
  // 503 (or another 5xx without a known code) as kUnavailable, which may be retried.
  static Status refusal(const HttpResponse& response);
  // Whether an attempt that ended so may be tried again: a lost connection or an
  // unreachable server, a 401 (the token was renewed), a 409 (a conflict over the upload's
  // offset, which the next attempt reads again) or a 5xx.
  static bool retryable(const Result<HttpResponse>& outcome);
  // The failure an attempt that ended so reports.
  static Status failure(const Result<HttpResponse>& outcome);

 private:
  Result<HttpResponse> send_once(const HttpRequest& request, const BodySink& sink);

  // Constant after construction.
  std::uint16_t port_;
  ConnectOptions options_;
  std::string base_target_;
  TokenSource tokens_;

  std::unique_ptr<HttpClient> client_;  // null, or closed, until the next request connects
  std::optional<std::string> token_;    // never logged, never in a message
  int failures_in_a_row_ = 0;
  int failures_ = 0;
  std::chrono::milliseconds backoff_{250};
};

}  // namespace xchat::client
