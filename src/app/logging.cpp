#include "app/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace xchat {

void init_logging(std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("xchatd");
  spdlog::set_default_logger(logger);
  const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  spdlog::set_pattern(journal ? "%l: %v" : "%Y-%m-%dT%H:%M:%S.%e %l: %v");
  set_log_level(level);
  spdlog::flush_on(spdlog::level::info);
}

void set_log_level(std::string_view level) {
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

}  // namespace xchat
