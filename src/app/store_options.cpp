#include "app/store_options.hpp"

namespace xchat {

store::Store::Options store_options(const Config& config) {
  store::Store::Options options;
  options.data_dir = config.server.data_dir;
  options.synchronous = config.storage.synchronous;
  options.busy_timeout_ms = static_cast<int>(config.storage.busy_timeout_ms);
  options.writer.batch_window = std::chrono::microseconds(config.storage.batch_window_us);
  options.writer.batch_max_ops = static_cast<std::size_t>(config.storage.batch_max_ops);
  options.min_free_bytes = config.storage.min_free_bytes;
  return options;
}

}  // namespace xchat
