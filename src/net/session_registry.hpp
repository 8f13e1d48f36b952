#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "net/peer.hpp"

namespace xchat::net {

// Every open WebSocket session, and which one speaks for each logged-in device.
// Thread-safe. Holds weak pointers only: sessions own themselves. Never calls into a
// session under its lock; callers act on what is returned.
class SessionRegistry {
 public:
  using DeviceAddress = std::pair<std::int64_t, std::uint32_t>;  // account id, device id

  void add(const std::shared_ptr<Peer>& peer);
  void remove(const Peer* peer);

  // Makes `peer` the session of `device`; returns the one it replaces (to be closed with
  // kConnectedElsewhere), or null.
  std::shared_ptr<Peer> bind_device(DeviceAddress device, const std::shared_ptr<Peer>& peer);
  // Forgets the binding if it is still `peer`'s.
  void unbind_device(DeviceAddress device, const Peer* peer);
  std::shared_ptr<Peer> find_device(DeviceAddress device) const;
  // The sessions of every device of an account.
  std::vector<std::shared_ptr<Peer>> find_account(std::int64_t account_id) const;

  std::vector<std::shared_ptr<Peer>> all() const;
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<const Peer*, std::weak_ptr<Peer>> sessions_;  // guarded by mu_
  std::map<DeviceAddress, std::weak_ptr<Peer>> devices_;           // guarded by mu_
};

}  // namespace xchat::net
