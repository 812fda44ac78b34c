#include "common/http/connection_pool.h"

namespace fib {

ConnectionPool::ConnectionPool(size_t max_threads, std::function<void()> on_saturated)
    : max_threads_(max_threads > 0 ? max_threads : 1), on_saturated_(std::move(on_saturated)) {}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::enqueue(std::function<void()> fn) {
  std::unique_lock<std::mutex> lock(mu_);
  if (shutting_down_) {  // httplib does not enqueue after shutdown(); serve (close) it here anyway
    lock.unlock();
    fn();
    return;
  }
  queue_.push_back(std::move(fn));
  // Each queued connection needs an idle thread; start one unless the cap is reached.
  if (idle_threads_ < queue_.size() && threads_.size() < max_threads_) {
    threads_.emplace_back([this] { Run(); });
    ++idle_threads_;
  }
  bool saturated = idle_threads_ < queue_.size();
  work_ready_.notify_one();
  lock.unlock();
  if (saturated && on_saturated_) on_saturated_();
}

void ConnectionPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    threads.swap(threads_);
  }
  work_ready_.notify_all();
  for (auto& thread : threads) thread.join();
}

void ConnectionPool::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_ready_.wait(lock, [this] { return !queue_.empty() || shutting_down_; });
    if (queue_.empty()) return;  // shutting down with nothing left to serve
    std::function<void()> fn = std::move(queue_.front());
    queue_.pop_front();
    --idle_threads_;
    // Others still wait: make room for the next one too (one eviction per waiting connection).
    bool still_waiting = idle_threads_ < queue_.size();
    lock.unlock();
    if (still_waiting && on_saturated_) on_saturated_();
    fn();
    lock.lock();
    ++idle_threads_;
  }
}

}  // namespace fib
