#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdint>
#include <string>

#include "net/ws_client.hpp"

namespace xchat::client {

// What every connection of a client to xchatd sets up the same way, WebSocket or HTTP.

// What a client's stream runs on, which must outlive the stream: as the first base of a
// client class, they are constructed before its stream and destroyed after it.
struct ClientContexts {
  boost::asio::io_context io;
  boost::asio::ssl::context tls{boost::asio::ssl::context::tls_client};
};

// The Host header: an IPv6 address goes in brackets (RFC 7230 section 5.4).
std::string host_header(const std::string& host, std::uint16_t port);

// Makes `context` trust what `options` says: the system's CAs, or options.ca_file; nothing
// when the peer is not verified. False, with the reason in `error`, when they cannot be
// loaded.
bool load_trust(boost::asio::ssl::context& context, const ConnectOptions& options,
                std::string* error);

// Before the TLS handshake on `stream`: SNI, and — unless options.verify_peer is off — that
// the certificate chain is trusted and names options.host. False, with the reason in
// `error`, when the name cannot be set.
bool prepare_tls(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                 const ConnectOptions& options, std::string* error);

}  // namespace xchat::client
