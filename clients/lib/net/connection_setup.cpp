#include "net/connection_setup.hpp"

#include <boost/asio/ssl.hpp>

namespace xchat::client {

namespace ssl = boost::asio::ssl;

std::string host_header(const std::string& host, std::uint16_t port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool load_trust(ssl::context& context, const ConnectOptions& options, std::string* error) {
  if (!options.verify_peer) return true;
  boost::beast::error_code ec;
  if (options.ca_file.empty()) {
    context.set_default_verify_paths(ec);
  } else {
    context.load_verify_file(options.ca_file, ec);
  }
  if (ec && error != nullptr) *error = "tls: cannot load the trusted certificates: " + ec.message();
  return !ec;
}

bool prepare_tls(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                 const ConnectOptions& options, std::string* error) {
  // SNI, and the name the certificate must carry.
  if (!SSL_set_tlsext_host_name(stream.native_handle(), options.host.c_str())) {
    if (error != nullptr) *error = "tls: cannot set the server name";
    return false;
  }
  // On the stream: the context's mode was copied into it when it was made.
  stream.set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none);
  if (options.verify_peer) stream.set_verify_callback(ssl::host_name_verification(options.host));
  return true;
}

}  // namespace xchat::client
