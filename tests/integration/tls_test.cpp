// Native TLS: with tls.cert and tls.key the one port speaks wss:// only.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "integration/support/daemon.hpp"
#include "integration/support/identity.hpp"
#include "integration/support/ws_client.hpp"

namespace xchat::testing {
namespace {

// A throwaway self-signed P-256 certificate for CN=localhost, made with the openssl CLI.
class SelfSignedCertificate {
 public:
  SelfSignedCertificate() {
    char tmpl[] = "/tmp/xchatd-tls-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    std::string output;
    const int rc = run_command({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                                "/CN=localhost", "-keyout", key(), "-out", cert()},
                               &output);
    if (rc != 0) throw std::runtime_error("openssl req failed: " + output);
  }
  SelfSignedCertificate(const SelfSignedCertificate&) = delete;
  SelfSignedCertificate& operator=(const SelfSignedCertificate&) = delete;
  ~SelfSignedCertificate() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  const std::string& dir() const { return dir_; }
  std::string cert() const { return dir_ + "/cert.pem"; }
  std::string key() const { return dir_ + "/key.pem"; }

  Overrides config() const {
    return {{"tls.cert", "\"" + cert() + "\""}, {"tls.key", "\"" + key() + "\""}};
  }

 private:
  std::string dir_;
};

ConnectOptions tls_options() {
  ConnectOptions options;
  options.tls = true;
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

  std::string error;
  auto client = WsClient::connect(d.port(), tls_options(), &error);
  ASSERT_NE(client, nullptr) << error;
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
  EXPECT_NE(WsClient::connect(d.port(), tls_options()), nullptr);
}

TEST(Tls, MissingCertificateStopsStartup) {
  SelfSignedCertificate certificate;
  Overrides config = certificate.config();
  config["tls.cert"] = "\"" + certificate.cert() + ".missing\"";
  config["server.data_dir"] = "\"" + certificate.dir() + "/data\"";
  const std::string path = certificate.dir() + "/xchatd.toml";
  std::ofstream(path) << Daemon::config_text(config);
  // Run directly rather than through Daemon, whose constructor throws on a failed start;
  // timeout bounds the run should the daemon wrongly start.
  std::string output;
  EXPECT_EQ(run_command({"/usr/bin/timeout", "10", XCHATD_BINARY, "--config", path}, &output), 1);
  EXPECT_NE(output.find("tls.cert"), std::string::npos) << output;
}

}  // namespace
}  // namespace xchat::testing
