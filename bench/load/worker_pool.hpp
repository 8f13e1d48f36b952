#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace xchat::bench {

// The generator's threads: one io_context per thread and one Worker living on each. A
// worker's connections and state are touched only on its own thread, so it needs no strand
// and no lock; the main thread talks to it by posting, and reads only its atomics while
// the threads run. After stop() the main thread may read everything.
//
// Teardown order matters and is the reason this class exists: the threads stop first, then
// the workers (with the sockets they own) are destroyed while their io_contexts still
// exist, and the io_contexts last.
template <class Worker>
class WorkerPool {
 public:
  // Calls make(io_context&, index) -> std::unique_ptr<Worker> for each of `threads` workers,
  // on the calling thread, then starts the threads.
  template <class Make>
  WorkerPool(std::size_t threads, Make&& make) {
    for (std::size_t i = 0; i < threads; ++i) {
      // Concurrency hint 1: each io_context is run by exactly one thread, so Asio can skip
      // its internal locking.
      contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
      guards_.emplace_back(contexts_.back()->get_executor());
      workers_.push_back(make(*contexts_.back(), i));
    }
    for (auto& context : contexts_) {
      threads_.emplace_back([io = context.get()] { io->run(); });
    }
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() {
    stop();
    workers_.clear();
  }

  // Stops every io_context and joins the threads; handlers not yet run are abandoned.
  // Idempotent.
  void stop() {
    for (auto& context : contexts_) context->stop();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

  std::size_t size() const { return workers_.size(); }
  Worker& operator[](std::size_t i) { return *workers_[i]; }

  template <class F>
  void for_each(F&& f) {
    for (auto& worker : workers_) f(*worker);
  }

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace xchat::bench
