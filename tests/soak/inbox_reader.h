// InboxReader: follows a fibtastic-mailsink's inbox from its own thread (GET
// /messages?since_id=N every poll_interval_ms) and counts emails per X-Request-Id. Because it
// keeps up with the sink, the sink can run with a small --max-messages ring and stay flat;
// a gap in the sink's ids means the ring dropped a message before we read it (counted).
// Thread-safety: Start/Stop/accessors from the owner thread; the poll thread owns the counts
// until Stop joins it, except Count*/last error which are guarded by a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace fib::test {

struct InboxReaderOptions {
  int http_port = 0;  // the sink's HTTP inbox on 127.0.0.1
  int poll_interval_ms = 250;
  int page_limit = 1000;  // messages per GET
};

// How the emails for a set of request ids arrived.
struct DeliveryCount {
  int64_t expected = 0;
  int64_t delivered = 0;             // ids with at least one email
  int64_t duplicates = 0;            // extra emails for an id
  std::vector<std::string> missing;  // first 20
};

class InboxReader {
 public:
  explicit InboxReader(InboxReaderOptions options) : options_(options) {}
  ~InboxReader() { Stop(); }
  InboxReader(const InboxReader&) = delete;
  InboxReader& operator=(const InboxReader&) = delete;

  void Start();
  void Stop();
  // Returns how the emails of `ids` arrived so far. Safe while running.
  DeliveryCount Count(const std::vector<std::string>& ids) const;
  // Emails read so far, and messages the sink dropped before we read them (id gaps).
  int64_t emails_read() const;
  int64_t missed_by_gap() const;
  // Failed polls (sink unreachable / bad JSON), and the last such error.
  int64_t poll_errors() const;
  std::string last_error() const;

 private:
  void Loop();
  void PollOnce();

  InboxReaderOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, int64_t> emails_by_id_;
  int64_t last_id_ = 0;
  int64_t emails_read_ = 0;
  int64_t missed_by_gap_ = 0;
  int64_t poll_errors_ = 0;
  std::string last_error_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace fib::test
