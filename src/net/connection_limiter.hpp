#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace xchat {
class Metrics;
}

namespace xchat::net {

// Counts open connections, in total (at accept) and per client address (once the HTTP
// request is read and X-Forwarded-For resolved), and refuses those over the limits.
// Thread-safe. A Ticket gives its slot back when destroyed.
class ConnectionLimiter {
 public:
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept { *this = std::move(other); }
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }

   private:
    friend class ConnectionLimiter;
    Ticket(ConnectionLimiter* owner, std::string ip) : owner_(owner), ip_(std::move(ip)) {}
    void release();

    ConnectionLimiter* owner_ = nullptr;
    std::string ip_;  // empty for the total count
  };

  explicit ConnectionLimiter(Metrics& metrics) : metrics_(metrics) {}

  std::optional<Ticket> admit(std::int64_t max_total);
  std::optional<Ticket> admit_ip(const std::string& ip, std::int64_t max_per_ip);

 private:
  Metrics& metrics_;
  std::atomic<std::int64_t> total_{0};
  std::mutex mu_;
  std::unordered_map<std::string, std::int64_t> per_ip_;  // guarded by mu_
};

}  // namespace xchat::net
