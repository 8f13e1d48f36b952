#include <cctype>
#include <string>
#include <string_view>

#include "fuzz/fuzz_server.hpp"
#include "fuzz/targets.hpp"

namespace xchat::fuzz {

namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Every response the server wrote must start as HTTP does: a status line with a
// three-digit code. (Bytes after an upgrade are WebSocket frames, so only the first
// response is checked.)
void check_response(const std::string& response, const std::string& request) {
  if (response.empty()) return;  // dropped without a response, as §10 allows
  // HTTP/1.0 when the request was (Beast answers in the request's version).
  if ((response.rfind("HTTP/1.1 ", 0) != 0 && response.rfind("HTTP/1.0 ", 0) != 0) ||
      response.size() < 13 || !std::isdigit(static_cast<unsigned char>(response[9])) ||
      response[12] != ' ') {
    invariant_failed("the server's response is not HTTP",
                     response.substr(0, 200) + "\n--- for ---\n" + request);
  }
  const int status = std::stoi(response.substr(9, 3));
  if (status >= 500 && status != 503 && status != 507) {
    invariant_failed("server error on a client's request",
                     response.substr(0, 400) + "\n--- for ---\n" + request);
  }
}

}  // namespace

void fuzz_attachment_http(std::span<const std::uint8_t> input) {
  auto& server = FuzzServer::instance();
  std::string request(reinterpret_cast<const char*>(input.data()), input.size());
  replace_all(request, "$UPLOAD_TOKEN", server.upload_token());
  replace_all(request, "$DOWNLOAD_TOKEN", server.download_token());
  replace_all(request, "$ATTACHMENT", server.attachment_id());
  check_response(server.http_exchange(request), request);
}

}  // namespace xchat::fuzz
