#include "net/connection_limiter.hpp"

#include "metrics/metrics.hpp"

namespace xchat::net {

ConnectionLimiter::Ticket& ConnectionLimiter::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    counts_ = std::exchange(other.counts_, nullptr);
    ip_ = std::move(other.ip_);
  }
  return *this;
}

void ConnectionLimiter::Ticket::release() {
  if (owner_ == nullptr) return;
  if (counts_ == nullptr) {
    owner_->total_.fetch_sub(1, std::memory_order_relaxed);
    owner_->metrics_.connections_open.fetch_sub(1, std::memory_order_relaxed);
  } else {
    std::lock_guard lock(counts_->mu);
    auto it = counts_->by_address.find(ip_);
    if (it != counts_->by_address.end() && --it->second == 0) counts_->by_address.erase(it);
  }
  owner_ = nullptr;
}

std::optional<ConnectionLimiter::Ticket> ConnectionLimiter::admit(std::int64_t max_total) {
  if (total_.fetch_add(1, std::memory_order_relaxed) >= max_total) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    metrics_.connections_rejected.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  metrics_.connections_open.fetch_add(1, std::memory_order_relaxed);
  return Ticket(this, nullptr, {});
}

std::optional<ConnectionLimiter::Ticket> ConnectionLimiter::admit_http(const std::string& ip,
                                                                       std::int64_t max_per_ip) {
  return admit_address(http_, ip, max_per_ip);
}

std::optional<ConnectionLimiter::Ticket> ConnectionLimiter::admit_ip(const std::string& ip,
                                                                     std::int64_t max_per_ip) {
  return admit_address(upgraded_, ip, max_per_ip);
}

std::optional<ConnectionLimiter::Ticket> ConnectionLimiter::admit_address(AddressCounts& counts,
                                                                          const std::string& ip,
                                                                          std::int64_t max_per_ip) {
  std::lock_guard lock(counts.mu);
  auto& count = counts.by_address[ip];
  if (count >= max_per_ip) {
    if (count == 0) counts.by_address.erase(ip);
    metrics_.connections_rejected.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  ++count;
  return Ticket(this, &counts, ip);
}

}  // namespace xchat::net
