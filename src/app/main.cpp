// xchatd: the end-to-end-encrypted chat server. docs/architecture.md tours the source.
#include <CLI/CLI.hpp>
#include <malloc.h>

#include <csignal>
#include <iostream>

#include "app/admin_command.hpp"
#include "app/config.hpp"
#include "app/logging.hpp"
#include "app/server.hpp"
#include "crypto/random.hpp"
#include "xchat/version.hpp"

namespace {
constexpr int kExitConfigError = 2;
}

int main(int argc, char** argv) {
  CLI::App app{"xchatd: end-to-end-encrypted chat server"};
  std::string config_path = "/etc/xchatd/xchatd.toml";
  bool check_only = false;
  app.add_option("-c,--config", config_path, "Configuration file")->capture_default_str();
  app.add_flag("--check-config", check_only, "Validate the configuration and exit");
  app.set_version_flag("-V,--version", std::string("xchatd ") + std::string(xchat::kVersion));
  auto* admin = app.add_subcommand("admin", "Administer accounts, invites and subscriptions");
  auto run_admin = xchat::add_admin_commands(*admin);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitConfigError;
  }

  auto config = xchat::load_config(config_path);
  if (!config) {
    std::cerr << "xchatd: " << config.status().message() << "\n";
    return kExitConfigError;
  }
  if (check_only) {
    std::cout << config_path << ": ok\n";
    return 0;
  }
  if (!xchat::crypto::init_sodium()) {
    std::cerr << "xchatd: libsodium could not be initialised\n";
    return 1;
  }
  xchat::init_logging(config->log.level);
  // Past a file-size limit (ulimit -f) a write fails with EFBIG, which the store answers
  // as storage_full; the default action of the signal that comes with it ends the process.
  std::signal(SIGXFSZ, SIG_IGN);
  if (admin->parsed()) return run_admin(*config);
  // glibc returns freed memory at the top of each thread's heap to the kernel as soon as
  // 128 KiB sit unused, and takes it back on the next allocation: on the store writer's
  // thread that was an madvise, a TLB shootdown across CPUs and a page fault storm per
  // batch (a fifth of its time). Fixed thresholds keep the memory a busy server reuses.
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  return xchat::Server(std::move(*config), config_path).run();
}
