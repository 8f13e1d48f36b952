#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace xchat::bench {

// The HTTP half of xchatd's attachments (docs/protocol.md, "Attachment transfers"), driven
// the way a client drives it, blocking, one connection per request (what a connection costs
// on loopback is lost in a transfer's seconds). Tokens come from the WebSocket session.
// Every socket operation is bounded by `idle_timeout`. Each call throws std::runtime_error,
// with the status and the server's error body, when the server does not answer as the
// protocol says it does on success. Not thread-safe; holds no connection between calls.
class AttachmentClient {
 public:
  AttachmentClient(std::uint16_t port, std::chrono::milliseconds idle_timeout);

  // POST /v1/attachments with Upload-Length: `size`; returns the new attachment's id.
  std::string create(std::string_view token, std::uint64_t size);
  // PATCH /v1/attachments/ID from offset 0 with Content-Length: `size`: `pattern` repeated,
  // written `pattern.size()` bytes at a time, so nothing the size of the file is in memory.
  // Checks that the server then holds all `size` bytes.
  void upload(std::string_view token, std::string_view id, std::uint64_t size,
              std::string_view pattern);
  // POST /v1/attachments/ID/finish; returns its JSON.
  nlohmann::json finish(std::string_view token, std::string_view id);
  // GET /v1/attachments/ID, the body read `chunk_bytes` at a time and discarded; returns the
  // bytes received, after checking they are as many as Content-Length announced.
  std::uint64_t download(std::string_view token, std::string_view id, std::size_t chunk_bytes);
  // GET /v1/attachments/ID into memory, for checking the bytes: the body, or nullopt when
  // the server answers 404 (no such complete attachment). Throws, besides the usual, when
  // Content-Length exceeds `max_bytes` or the body ends before it.
  std::optional<std::string> fetch(std::string_view token, std::string_view id,
                                   std::uint64_t max_bytes);
  // DELETE /v1/attachments/ID.
  void remove(std::string_view token, std::string_view id);

 private:
  std::uint16_t port_;
  std::chrono::milliseconds idle_timeout_;
};

}  // namespace xchat::bench
