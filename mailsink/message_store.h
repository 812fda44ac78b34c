// MessageStore: the inbox — the newest `max_messages` accepted messages in memory (a ring: the
// oldest is dropped when full, and counted). Ids grow from 1 and are never reused, even after
// Clear, so readers can page with "since id N".
// Thread-safety: all methods are safe from any thread (one mutex); stored messages are immutable
// and shared, so a reader keeps its copy alive while the ring moves on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mailsink/mail_message.h"

namespace fib {

struct StoredMessage {
  int64_t id = 0;                    // set by MessageStore::Add
  std::string client;                // peer address, e.g. "127.0.0.1:53122"
  std::string helo;                  // HELO/EHLO name
  std::string mail_from;             // envelope sender ("" for <>)
  std::vector<std::string> rcpt_to;  // envelope recipients
  int64_t data_end_at_us = 0;        // wall clock when the final "." arrived
  int64_t received_at_us = 0;        // wall clock when we accepted it (250 sent, after any delay)
  std::string raw;                   // the message as received (dot-unstuffed, CRLF)
  MailMessage parsed;                // headers and body of `raw`
};

struct MessageStoreOptions {
  size_t max_messages = 10000;  // ring size; REQUIRES: >= 1
};

class MessageStore {
 public:
  using Ptr = std::shared_ptr<const StoredMessage>;

  explicit MessageStore(MessageStoreOptions options = {});

  // Assigns the next id, stores the message (dropping the oldest when full) and returns it.
  Ptr Add(StoredMessage message);
  // Returns messages with id > since_id, oldest first, at most `limit` of them.
  std::vector<Ptr> Since(int64_t since_id, size_t limit) const;
  // Returns up to `limit` messages, newest first.
  std::vector<Ptr> NewestFirst(size_t limit) const;
  // Returns the message with `id`, or nullptr when unknown or already dropped/cleared.
  Ptr Find(int64_t id) const;
  // Removes every message; returns how many were removed.
  size_t Clear();

  size_t size() const;
  // Messages ever added / dropped from the ring because it was full.
  int64_t added() const;
  int64_t dropped() const;
  size_t max_messages() const { return options_.max_messages; }

 private:
  MessageStoreOptions options_;
  mutable std::mutex mutex_;
  std::deque<Ptr> ring_;  // ascending ids
  int64_t next_id_ = 1;
  int64_t added_ = 0;
  int64_t dropped_ = 0;
};

}  // namespace fib
