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

// Counts open connections and refuses those over the limits: in total (at accept); per
// TCP peer address while a connection is still HTTP (from accept until its upgrade, or for
// its whole life when it never upgrades); and per client address once upgraded (after the
// HTTP request is read and X-Forwarded-For resolved). The HTTP count is what stops one
// address from holding the whole total budget with requests it never finishes.
// Thread-safe. A Ticket gives its slot back when destroyed.
class ConnectionLimiter {
 private:
  // Open connections by address, for one of the two per-address counts.
  struct AddressCounts {
    std::mutex mu;
    std::unordered_map<std::string, std::int64_t> by_address;  // guarded by mu
  };

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
    Ticket(ConnectionLimiter* owner, AddressCounts* counts, std::string ip)
        : owner_(owner), counts_(counts), ip_(std::move(ip)) {}
    void release();

    ConnectionLimiter* owner_ = nullptr;
    AddressCounts* counts_ = nullptr;  // null for the total count
    std::string ip_;
  };

  explicit ConnectionLimiter(Metrics& metrics) : metrics_(metrics) {}

  std::optional<Ticket> admit(std::int64_t max_total);
  // A connection from TCP peer `ip` that has not upgraded (yet).
  std::optional<Ticket> admit_http(const std::string& ip, std::int64_t max_per_ip);
  // An upgraded WebSocket connection of client address `ip`.
  std::optional<Ticket> admit_ip(const std::string& ip, std::int64_t max_per_ip);

 private:
  std::optional<Ticket> admit_address(AddressCounts& counts, const std::string& ip,
                                      std::int64_t max_per_ip);

  Metrics& metrics_;
  std::atomic<std::int64_t> total_{0};
  AddressCounts http_;
  AddressCounts upgraded_;
};

}  // namespace xchat::net
