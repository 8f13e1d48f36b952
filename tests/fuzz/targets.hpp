#pragma once

#include <cstdint>
#include <span>
#include <string_view>

// The fuzz targets. Each takes one input of any bytes and feeds it to real server or client
// code; it returns normally when the code behaved, and aborts (after printing what broke)
// when an invariant failed — so libFuzzer records a crash, and corpus_replay_tests, which
// replays tests/fuzz/corpus and tests/fuzz/regressions through the same functions, dies.
// Not thread-safe: one input at a time, as libFuzzer calls them.
namespace xchat::fuzz {

// Whole WebSocket text frames into the server's request decoder and dispatcher
// (app/services.hpp, the server's own wiring) over a real store. Input: the first byte
// chooses the session — even: anonymous; odd: logged in as @Alice device 1 — and the rest
// is up to 8 frames separated by '\n'. Every frame must get exactly one reply, a JSON
// object with an id and either a result or an error with a known code.
void fuzz_request_dispatch(std::span<const std::uint8_t> input);

// Raw bytes of an HTTP/1.1 connection (headers, Range, chunked bodies, several requests)
// sent over loopback to the server's real listener and HttpSession, which routes
// /v1/attachments to the AttachmentExchange. Placeholders let inputs reach past
// authorization: $UPLOAD_TOKEN and $DOWNLOAD_TOKEN become valid tokens of @Alice,
// $ATTACHMENT the id of a finished attachment the download token is for. Every response
// must be well-formed HTTP, and the server must close after the client's end of input.
void fuzz_attachment_http(std::span<const std::uint8_t> input);

// TOML text into the config parser (app/config.hpp): a Config or an error, never more.
void fuzz_config_parser(std::span<const std::uint8_t> input);

// Server frames into the client library's parsing of server data
// (clients/lib/messenger/server_data.hpp): envelopes pushes, prekey bundles, replies.
void fuzz_server_data(std::span<const std::uint8_t> input);

// Prints `what` and `detail` to stderr and aborts: an invariant of a target failed.
[[noreturn]] void invariant_failed(std::string_view what, std::string_view detail);

}  // namespace xchat::fuzz
