#include <string_view>

#include "fuzz/fuzz_server.hpp"
#include "fuzz/targets.hpp"

namespace xchat::fuzz {

namespace {

// More frames per input would mostly repeat what fewer already reach.
constexpr std::size_t kMaxFrames = 8;

}  // namespace

void fuzz_request_dispatch(std::span<const std::uint8_t> input) {
  if (input.empty()) return;
  auto& server = FuzzServer::instance();
  const auto peer = server.session((input[0] & 1) != 0);
  std::string_view rest(reinterpret_cast<const char*>(input.data()) + 1, input.size() - 1);
  for (std::size_t frames = 0; frames < kMaxFrames && !rest.empty(); ++frames) {
    const auto end = rest.find('\n');
    const std::string_view frame = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    // A closing WebSocket session reads no further frames.
    if (peer->closed()) return;
    server.call(peer, frame);
  }
}

}  // namespace xchat::fuzz
