#pragma once

#include <cstddef>
#include <deque>
#include <functional>

namespace xchat::bench {

// Runs a worker's asynchronous setup jobs (open, register, log in) at most `limit` at a
// time, so that thousands of connections do not all land in the server's accept queue and
// its store writer at once, where the later ones could outwait the handshake timeout.
//
// Thread safety: none; used on its worker's thread only.
class SetupQueue {
 public:
  using Finished = std::function<void()>;
  // A job calls `finished` exactly once, whatever its outcome.
  using Job = std::function<void(Finished finished)>;

  explicit SetupQueue(std::size_t limit) : limit_(limit) {}

  // Starts `job` now if fewer than `limit` run, else when one finishes. The waiting jobs
  // are bounded by the run's connection count: every job is added once, at the start.
  void add(Job job);

 private:
  void start_next();

  const std::size_t limit_;
  std::size_t running_ = 0;
  std::deque<Job> waiting_;
};

}  // namespace xchat::bench
