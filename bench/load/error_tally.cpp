#include "load/error_tally.hpp"

namespace xchat::bench {

void ErrorTally::add(std::string_view kind, std::string_view detail) {
  std::lock_guard lock(mu_);
  if (first_.empty()) first_ = std::string(kind) + " (" + std::string(detail) + ")";
  auto it = counts_.find(kind);
  if (it == counts_.end()) it = counts_.emplace(std::string(kind), 0).first;
  ++it->second;
  total_.fetch_add(1, std::memory_order_relaxed);
}

nlohmann::ordered_json ErrorTally::by_kind() const {
  std::lock_guard lock(mu_);
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [kind, count] : counts_) out[kind] = count;
  return out;
}

std::string ErrorTally::first() const {
  std::lock_guard lock(mu_);
  return first_;
}

}  // namespace xchat::bench
