// MessageStore: the inbox — the newest accepted messages in memory, bounded twice: at most
// `max_messages` of them and at most `max_bytes` of memory for all of them together (each
// message's memory_bytes: its raw text, parsed headers and precomputed summary). The oldest are
// dropped first when either bound is reached, and counted in dropped(); a message that alone
// needs more than max_bytes is refused (Add returns nullptr). Ids grow from 1 and are never
// reused, even after Clear, so readers can page with "since id N". Every query is safe for any
// argument (negative or INT64_MAX ids, SIZE_MAX limits) and costs O(log n + returned).
// Readers can block until a newer message arrives (WaitForNewer: a condition variable, no polling).
// Thread-safety: all methods are safe from any thread (one mutex); stored messages are immutable
// and shared, so a reader keeps its copy alive while the ring moves on.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mailsink/mail_message.h"

namespace fib {

// The implicit noexcept move reaches nlohmann::json's assert_invariant, which only asserts.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct StoredMessage {
  int64_t id = 0;                    // set by MessageStore::Add
  std::string client;                // peer address, e.g. "127.0.0.1:53122"
  std::string helo;                  // HELO/EHLO name
  std::string mail_from;             // envelope sender ("" for <>)
  std::vector<std::string> rcpt_to;  // envelope recipients
  int64_t data_end_at_us = 0;        // wall clock when the final "." arrived
  int64_t received_at_us = 0;        // wall clock when we accepted it (250 sent, after any delay)
  std::string raw;                   // the message as received (dot-unstuffed, CRLF)
  // The fields below are set by IndexMessage (MessageStore::Add calls it).
  MailMessage parsed;       // headers of `raw` and where its body starts (not a copy of it)
  nlohmann::json summary;   // MessageSummaryJson's fields that come from the headers
  size_t memory_bytes = 0;  // what this message holds in memory, as the byte cap counts it
};

// Parses message->raw into `parsed` (after shrinking raw to its size), computes `summary` and
// measures `memory_bytes`. Linear in the size of the message.
void IndexMessage(StoredMessage* message, const MailParseLimits& limits = {});

struct MessageStoreOptions {
  size_t max_messages = 10000;           // ring size; REQUIRES: >= 1
  size_t max_bytes = 256 * 1024 * 1024;  // memory_bytes of all stored messages; REQUIRES: >= 1
  MailParseLimits parse;                 // header limits for IndexMessage
};

class MessageStore {
 public:
  using Ptr = std::shared_ptr<const StoredMessage>;

  explicit MessageStore(MessageStoreOptions options = {});

  // Indexes the message (IndexMessage), assigns the next id, stores it (dropping the oldest
  // while either bound would be exceeded) and returns it. Returns nullptr, storing nothing and
  // assigning no id, when the message alone needs more than max_bytes.
  Ptr Add(StoredMessage message);
  // Returns messages with id > since_id, oldest first, at most `limit` of them.
  std::vector<Ptr> Since(int64_t since_id, size_t limit) const;
  // Returns up to `limit` messages, newest first.
  std::vector<Ptr> NewestFirst(size_t limit) const;
  // Returns the message with `id`, or nullptr when unknown or already dropped/cleared.
  Ptr Find(int64_t id) const;
  // Returns the newest message with id > since_id whose X-Request-Id is `request_id`, or
  // nullptr. Linear in the messages after since_id.
  Ptr FindRequest(const std::string& request_id, int64_t since_id) const;
  // Removes every message; returns how many were removed.
  size_t Clear();
  // Removes the message with `id`; returns false when there is none.
  bool Remove(int64_t id);

  // Returns the highest id assigned so far (0 before the first message; not lowered by Clear).
  int64_t last_id() const;
  // Blocks until a message with id > after_id is added, StopWaiters() was called, or `deadline`
  // passes, whichever is first. Returns last_id() at that moment.
  int64_t WaitForNewer(int64_t after_id, std::chrono::steady_clock::time_point deadline) const;
  // Wakes every WaitForNewer and makes later ones return at once (shutdown). Not undone.
  void StopWaiters();
  bool waiters_stopped() const;

  size_t size() const;
  // Sum of memory_bytes of the stored messages; never above max_bytes().
  size_t stored_bytes() const;
  // Messages ever added / dropped because the ring was full or the byte cap was reached.
  int64_t added() const;
  int64_t dropped() const;
  size_t max_messages() const { return options_.max_messages; }
  size_t max_bytes() const { return options_.max_bytes; }

 private:
  MessageStoreOptions options_;
  mutable std::mutex mutex_;
  mutable std::condition_variable added_cv_;  // notified by Add and StopWaiters
  bool waiters_stopped_ = false;
  std::deque<Ptr> ring_;  // ascending ids
  size_t stored_bytes_ = 0;
  int64_t next_id_ = 1;
  int64_t added_ = 0;
  int64_t dropped_ = 0;
};

}  // namespace fib
