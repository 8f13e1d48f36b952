#include "service/rate_limiter.hpp"

#include <algorithm>

namespace xchat {

namespace {

double refilled(double tokens, std::chrono::system_clock::duration elapsed,
                RateLimiter::Rate rate) {
  const double per_second = rate.burst / static_cast<double>(rate.period.count());
  const double add = std::chrono::duration<double>(elapsed).count() * per_second;
  return std::min(rate.burst, tokens + std::max(0.0, add));
}

}  // namespace

bool RateLimiter::try_acquire(const std::string& key, Rate rate) {
  std::lock_guard lock(mu_);
  Bucket* b = refill(key, rate);
  if (b == nullptr || b->tokens < 1.0) return false;
  b->tokens -= 1.0;
  return true;
}

bool RateLimiter::allowed(const std::string& key, Rate rate) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    // Refused exactly when try_acquire would find no room for the new key's bucket.
    if (buckets_.size() >= max_keys_) prune(rate);
    return buckets_.size() < max_keys_;
  }
  return refilled(it->second.tokens, clock_.now() - it->second.updated, rate) >= 1.0;
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

RateLimiter::Bucket* RateLimiter::refill(const std::string& key, Rate rate) {
  const auto now = clock_.now();
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) prune(rate);
    if (buckets_.size() >= max_keys_) return nullptr;
    it = buckets_.emplace(key, Bucket{rate.burst, now}).first;
  }
  it->second.tokens = refilled(it->second.tokens, now - it->second.updated, rate);
  it->second.updated = now;
  return &it->second;
}

void RateLimiter::prune(Rate rate) {
  const auto now = clock_.now();
  std::erase_if(buckets_, [&](const auto& kv) {
    return refilled(kv.second.tokens, now - kv.second.updated, rate) >= rate.burst;
  });
}

}  // namespace xchat
