#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace xchat::bench {

// The raw loopback copy rate that issue 6 calls "cat-to-socket": what moving the bytes of
// a file between a TCP socket on 127.0.0.1 and the disk costs with nothing in between, the
// yardstick for xchatd's attachment transfers. Both ends are threads of the generator and
// move `chunk_bytes` at a time (the size xchatd's attachment path uses), so the only
// difference left is the server: HTTP parsing, the token check, its event loop, its writes.
struct LoopbackCopy {
  double seconds = 0;       // from connect to the last byte stored (or received)
  std::uint64_t bytes = 0;  // what arrived at the far end
  double sync_seconds = 0;  // upload only: the fdatasync after the last byte
};

// The upload baseline: a receiver that pwrites everything it reads from the socket to a new
// file at `path`, fed by a sender streaming `bytes` of `pattern` repeated (so nothing the
// size of the file is held in memory). `pattern` must be `chunk_bytes` long. Then the file
// is fdatasync'ed, timed apart (xchatd's finish does the same). Every socket operation is
// bounded by `idle_timeout`. Throws std::runtime_error when the copy fails.
LoopbackCopy copy_socket_to_file(const std::string& path, std::uint64_t bytes,
                                 std::string_view pattern, std::chrono::milliseconds idle_timeout);

// The download baseline: a sender that preads the file at `path` (`bytes` long) and writes
// it to the socket, `chunk_bytes` at a time; the calling thread receives and discards,
// counting. Throws std::runtime_error when the copy fails or comes up short.
LoopbackCopy copy_file_to_socket(const std::string& path, std::uint64_t bytes,
                                 std::size_t chunk_bytes, std::chrono::milliseconds idle_timeout);

}  // namespace xchat::bench
