// Native TLS: with tls.cert and tls.key the one port speaks wss:// only.
#include <gtest/gtest.h>

#include "integration/support/daemon.hpp"
#include "integration/support/helpers.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/self_signed_certificate.hpp"
#include "integration/support/ws_client.hpp"

namespace xchat::testing {
namespace {

// A client that trusts `certificate` alone and checks that it names the host it dials.
ConnectOptions tls_options(const SelfSignedCertificate& certificate) {
  ConnectOptions options;
  options.tls = true;
  options.host = "localhost";
  options.ca_file = certificate.cert();
  options.timeout = 5s;
  return options;
}

TEST(Tls, SecureWebSocketClientRegistersAndLogsIn) {
  SelfSignedCertificate certificate;
  Daemon d(certificate.config());
  bool announced_wss = false;
  for (const auto& n : d.notifications()) {
    announced_wss |= n.find("wss://127.0.0.1:" + std::to_string(d.port())) != std::string::npos;
  }
  EXPECT_TRUE(announced_wss) << "READY status should carry the wss:// URL";

  auto client = connect_or_fail(d, tls_options(certificate));
  ASSERT_NE(client, nullptr);
  TestUser alice("@Alice");
  const auto reg = register_user(*client, alice);
  ASSERT_TRUE(reg.contains("result")) << reg;
  const auto reply = login(*client, alice);
  ASSERT_TRUE(reply.contains("result")) << reply;
  EXPECT_EQ(reply["result"]["handle"], "@Alice");
}

TEST(Tls, PlainClientCannotUpgrade) {
  SelfSignedCertificate certificate;
  Daemon d(certificate.config());
  ConnectOptions plain;
  plain.timeout = 5s;
  std::string error;
  EXPECT_EQ(WsClient::connect(d.port(), plain, &error), nullptr);
  EXPECT_NE(error.find("handshake"), std::string::npos) << error;
  // The failed attempt did not disturb the listener.
  EXPECT_NE(WsClient::connect(d.port(), tls_options(certificate)), nullptr);
}

// The client library refuses a server it cannot authenticate: a certificate from no
// trusted authority, or one for another name than the host dialled.
TEST(Tls, ClientRefusesAnUntrustedOrMisnamedCertificate) {
  SelfSignedCertificate certificate;
  Daemon d(certificate.config());
  ConnectOptions untrusted = tls_options(certificate);
  untrusted.ca_file.clear();  // the system's authorities never signed a throwaway certificate
  std::string error;
  EXPECT_EQ(WsClient::connect(d.port(), untrusted, &error), nullptr);
  EXPECT_NE(error.find("tls"), std::string::npos) << error;

  ConnectOptions misnamed = tls_options(certificate);
  misnamed.host = "127.0.0.1";  // the certificate is for localhost
  error.clear();
  EXPECT_EQ(WsClient::connect(d.port(), misnamed, &error), nullptr);
  EXPECT_NE(error.find("tls"), std::string::npos) << error;

  EXPECT_NE(WsClient::connect(d.port(), tls_options(certificate)), nullptr);
}

TEST(Tls, MissingCertificateStopsStartup) {
  SelfSignedCertificate certificate;
  Overrides config = certificate.config();
  config["tls.cert"] = toml_string(certificate.cert() + ".missing");
  config["server.data_dir"] = toml_string(certificate.dir().file("data"));
  const std::string path = certificate.dir().write("xchatd.toml", Daemon::config_text(config));
  // Run directly rather than through Daemon, whose constructor throws on a failed start;
  // timeout bounds the run should the daemon wrongly start.
  std::string output;
  EXPECT_EQ(run_command({"/usr/bin/timeout", "10", xchatd_binary(), "--config", path}, &output), 1);
  EXPECT_NE(output.find("tls.cert"), std::string::npos) << output;
}

}  // namespace
}  // namespace xchat::testing
