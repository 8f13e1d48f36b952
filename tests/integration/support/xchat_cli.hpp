#pragma once

// Running the xchat command-line client as a user would, against a Daemon: the fixture of
// the CLI's integration tests.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "integration/support/daemon.hpp"
#include "support/temp_dir.hpp"

namespace xchat::testing {

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr together

  // The JSON objects among the output lines.
  std::vector<nlohmann::json> objects() const {
    std::vector<nlohmann::json> out;
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object()) out.push_back(std::move(j));
    }
    return out;
  }
  // The JSON events of kind `event` ("message", "edited", ...).
  std::vector<nlohmann::json> events(const std::string& event) const {
    std::vector<nlohmann::json> out;
    for (auto& j : objects()) {
      if (j.value("event", "") == event) out.push_back(std::move(j));
    }
    return out;
  }
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const auto& j : events("message")) out.push_back(j.value("text", ""));
    return out;
  }
};

// A daemon (with `overrides`) and a temporary directory holding each user's --home.
class CliFixture : public ::testing::Test {
 protected:
  explicit CliFixture(Overrides overrides = {}) : daemon_(std::move(overrides)) {}

  std::string url() const { return "ws://127.0.0.1:" + std::to_string(daemon_.port()) + "/v1/ws"; }

  // `xchat --home HOME ARGS...` with the passphrase in the environment, bounded in time;
  // `input` is fed to its standard input. It runs in `cwd` when given.
  CliRun xchat(const std::string& home, const std::vector<std::string>& args,
               const std::string& input = "", const std::string& passphrase = "",
               const std::string& cwd = ".") {
    std::string command =
        "cd \"$XCHAT_CWD\" && printf '%s' \"$XCHAT_INPUT\" | XCHAT_PASSPHRASE=\"$XCHAT_PASS\" "
        "/usr/bin/timeout 60 \"$XCHAT_BIN\" --home \"$XCHAT_HOME_DIR\"";
    for (const auto& a : args) {
      command += " '";
      for (const char c : a) command += c == '\'' ? std::string("'\\''") : std::string(1, c);
      command += "'";
    }
    CliRun r;
    r.exit_code = run_command(
        {"/usr/bin/env", "XCHAT_INPUT=" + input,
         "XCHAT_PASS=" + (passphrase.empty() ? "pass " + home : passphrase),
         std::string("XCHAT_BIN=") + XCHAT_CLI_BINARY, "XCHAT_HOME_DIR=" + dir_.file(home),
         "XCHAT_CWD=" + cwd, "/bin/sh", "-c", command},
        &r.output);
    return r;
  }

  void init(const std::string& home, const std::string& handle) {
    const CliRun r = xchat(home, {"init", "--server", url(), "--handle", handle});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  // Listens for up to `seconds`, as JSON.
  CliRun listen(const std::string& home, int seconds = 2) {
    return xchat(home, {"--json", "listen", "--seconds", std::to_string(seconds)});
  }

  Daemon daemon_;
  TempDir dir_{"xchat-cli"};
};

}  // namespace xchat::testing
