#pragma once

#include <stdexcept>
#include <string>

#include "integration/support/daemon.hpp"
#include "support/temp_dir.hpp"

namespace xchat::testing {

// `text` as a TOML string value (no escaping: test paths hold no quotes or backslashes).
inline std::string toml_string(const std::string& text) {
  std::string quoted = "\"";
  quoted.append(text).append("\"");
  return quoted;
}

// A throwaway self-signed P-256 certificate for CN=localhost, made with the openssl CLI,
// for a daemon with native TLS. Throws std::runtime_error when openssl fails.
class SelfSignedCertificate {
 public:
  SelfSignedCertificate() {
    std::string output;
    const int rc = run_command({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                                "/CN=localhost", "-keyout", key(), "-out", cert()},
                               &output);
    if (rc != 0) throw std::runtime_error("openssl req failed: " + output);
  }

  // Where the certificate and key are; tests may put files of their own there.
  const TempDir& dir() const { return dir_; }
  std::string cert() const { return dir_.file("cert.pem"); }
  std::string key() const { return dir_.file("key.pem"); }

  // The daemon's settings for it.
  Overrides config() const {
    return {{"tls.cert", toml_string(cert())}, {"tls.key", toml_string(key())}};
  }

 private:
  TempDir dir_{"xchatd-tls"};
};

}  // namespace xchat::testing
