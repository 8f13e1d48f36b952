#include "load/setup_queue.hpp"

namespace xchat::bench {

void SetupQueue::add(Job job) {
  waiting_.push_back(std::move(job));
  start_next();
}

void SetupQueue::start_next() {
  while (running_ < limit_ && !waiting_.empty()) {
    Job job = std::move(waiting_.front());
    waiting_.pop_front();
    ++running_;
    job([this] {
      --running_;
      start_next();
    });
  }
}

}  // namespace xchat::bench
