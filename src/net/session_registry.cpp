#include "net/session_registry.hpp"

namespace xchat::net {

void SessionRegistry::add(const std::shared_ptr<Peer>& peer) {
  std::lock_guard lock(mu_);
  sessions_.emplace(peer.get(), peer);
}

void SessionRegistry::remove(const Peer* peer) {
  std::lock_guard lock(mu_);
  sessions_.erase(peer);
}

std::shared_ptr<Peer> SessionRegistry::bind_device(DeviceAddress device,
                                                   const std::shared_ptr<Peer>& peer) {
  std::lock_guard lock(mu_);
  auto& slot = devices_[device];
  std::shared_ptr<Peer> previous = slot.lock();
  slot = peer;
  return previous == peer ? nullptr : previous;
}

void SessionRegistry::unbind_device(DeviceAddress device, const Peer* peer) {
  std::lock_guard lock(mu_);
  auto it = devices_.find(device);
  if (it == devices_.end()) return;
  auto current = it->second.lock();
  if (current == nullptr || current.get() == peer) devices_.erase(it);
}

std::shared_ptr<Peer> SessionRegistry::find_device(DeviceAddress device) const {
  std::lock_guard lock(mu_);
  auto it = devices_.find(device);
  return it == devices_.end() ? nullptr : it->second.lock();
}

std::vector<std::shared_ptr<Peer>> SessionRegistry::find_account(std::int64_t account_id) const {
  std::vector<std::shared_ptr<Peer>> out;
  std::lock_guard lock(mu_);
  for (auto it = devices_.lower_bound({account_id, 0});
       it != devices_.end() && it->first.first == account_id; ++it) {
    if (auto p = it->second.lock()) out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::shared_ptr<Peer>> SessionRegistry::all() const {
  std::vector<std::shared_ptr<Peer>> out;
  std::lock_guard lock(mu_);
  out.reserve(sessions_.size());
  for (const auto& [ptr, weak] : sessions_) {
    if (auto p = weak.lock()) out.push_back(std::move(p));
  }
  return out;
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace xchat::net
