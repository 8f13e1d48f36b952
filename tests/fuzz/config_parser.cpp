#include <string>
#include <string_view>
#include <vector>

#include "app/config.hpp"
#include "fuzz/targets.hpp"

namespace xchat::fuzz {

void fuzz_config_parser(std::span<const std::uint8_t> input) {
  const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  auto config = parse_config(text, "fuzz.toml");
  if (config) {
    // What parses must also survive a reload against the defaults, as SIGHUP does it.
    std::vector<std::string> needs_restart;
    merge_reloadable(Config{}, *config, &needs_restart);
  } else if (config.status().message().find("fuzz.toml") != 0) {
    invariant_failed("config error does not name its source", config.status().message());
  }
}

}  // namespace xchat::fuzz
