// ConnectionPool: BoundedServer's task queue for cpp-httplib — one thread per open connection,
// started on demand and reused, up to a cap. httplib's own ThreadPool gives each connection a
// thread from a fixed set for the connection's whole life, so a few slow senders (slowloris) or
// idle keep-alive clients starve everyone else. Here they only hold their own thread; how many
// requests *run* at once is limited separately (WebServer's request slots, --threads). When every
// thread is taken and a connection has to wait, `on_saturated` runs (again each time a thread
// takes a waiting connection while others still wait) (BoundedServer then evicts
// its slowest idle or still-arriving connection, so a slow client only ever holds a thread nobody
// else needs).
// Thread-safety: enqueue() from httplib's accept thread; shutdown() once, from the Serve thread.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fib {

class ConnectionPool : public httplib::TaskQueue {
 public:
  // REQUIRES: max_threads >= 1. Connections beyond max_threads wait for a free thread.
  explicit ConnectionPool(size_t max_threads, std::function<void()> on_saturated = nullptr);
  ~ConnectionPool() override;

  // Runs `fn` (one connection) on an idle thread, or a new one while under the cap.
  void enqueue(std::function<void()> fn) override;
  // Finishes every queued connection, then joins all threads.
  void shutdown() override;

 private:
  void Run();

  const size_t max_threads_;
  const std::function<void()> on_saturated_;
  std::mutex mu_;
  std::condition_variable work_ready_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  size_t idle_threads_ = 0;
  bool shutting_down_ = false;
};

}  // namespace fib
