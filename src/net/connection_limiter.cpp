#include "net/connection_limiter.hpp"

#include "metrics/metrics.hpp"

namespace xchat::net {

ConnectionLimiter::Ticket& ConnectionLimiter::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    ip_ = std::move(other.ip_);
  }
  return *this;
}

void ConnectionLimiter::Ticket::release() {
  if (owner_ == nullptr) return;
  if (ip_.empty()) {
    owner_->total_.fetch_sub(1, std::memory_order_relaxed);
    owner_->metrics_.connections_open.fetch_sub(1, std::memory_order_relaxed);
  } else {
    std::lock_guard lock(owner_->mu_);
    auto it = owner_->per_ip_.find(ip_);
    if (it != owner_->per_ip_.end() && --it->second == 0) owner_->per_ip_.erase(it);
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
  return Ticket(this, {});
}

std::optional<ConnectionLimiter::Ticket> ConnectionLimiter::admit_ip(const std::string& ip,
                                                                     std::int64_t max_per_ip) {
  std::lock_guard lock(mu_);
  auto& count = per_ip_[ip];
  if (count >= max_per_ip) {
    if (count == 0) per_ip_.erase(ip);
    metrics_.connections_rejected.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  ++count;
  return Ticket(this, ip);
}

}  // namespace xchat::net
