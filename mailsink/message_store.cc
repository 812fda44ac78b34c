#include "mailsink/message_store.h"

#include <algorithm>
#include <limits>

#include "mailsink/message_json.h"

namespace fib {
namespace {

bool IdLess(const MessageStore::Ptr& message, int64_t id) { return message->id < id; }
bool IdGreater(int64_t id, const MessageStore::Ptr& message) { return id < message->id; }

// Bytes a JSON value holds beyond its own 16 bytes: a map node or vector slot per member.
size_t JsonHeapBytes(const nlohmann::json& value) {
  constexpr size_t kNode = 96;  // std::map node with a std::string key and a json value
  size_t bytes = 0;
  if (value.is_string())
    bytes += sizeof(std::string) + value.get_ref<const std::string&>().capacity();
  if (value.is_object()) {
    bytes += sizeof(nlohmann::json::object_t);
    for (const auto& [key, member] : value.items()) {
      bytes += kNode + key.size() + JsonHeapBytes(member);
    }
  }
  if (value.is_array()) {
    bytes += sizeof(nlohmann::json::array_t);
    for (const auto& member : value) bytes += sizeof(nlohmann::json) + JsonHeapBytes(member);
  }
  return bytes;
}

}  // namespace

void IndexMessage(StoredMessage* message, const MailParseLimits& limits) {
  // Appending during DATA leaves up to twice the size allocated; the cap counts what is held.
  message->raw.shrink_to_fit();
  message->parsed = MailMessage::Parse(message->raw, limits);
  message->summary = MessageSummaryFields(message->parsed);
  size_t bytes = sizeof(StoredMessage) + message->raw.capacity() + message->parsed.HeapBytes() +
                 JsonHeapBytes(message->summary) + message->client.capacity() +
                 message->helo.capacity() + message->mail_from.capacity() +
                 message->rcpt_to.capacity() * sizeof(std::string);
  for (const auto& rcpt : message->rcpt_to) bytes += rcpt.capacity();
  message->memory_bytes = bytes;
}

MessageStore::MessageStore(MessageStoreOptions options) : options_(options) {
  if (options_.max_messages == 0) options_.max_messages = 1;
  if (options_.max_bytes == 0) options_.max_bytes = 1;
}

MessageStore::Ptr MessageStore::Add(StoredMessage message) {
  IndexMessage(&message, options_.parse);  // outside the lock: linear, but not free
  if (message.memory_bytes > options_.max_bytes) return nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  message.id = next_id_++;
  auto stored = std::make_shared<const StoredMessage>(std::move(message));
  while (!ring_.empty() && (ring_.size() >= options_.max_messages ||
                            stored_bytes_ + stored->memory_bytes > options_.max_bytes)) {
    stored_bytes_ -= ring_.front()->memory_bytes;
    ring_.pop_front();
    ++dropped_;
  }
  ring_.push_back(stored);
  stored_bytes_ += stored->memory_bytes;
  ++added_;
  added_cv_.notify_all();
  return stored;
}

std::vector<MessageStore::Ptr> MessageStore::Since(int64_t since_id, size_t limit) const {
  std::lock_guard<std::mutex> lock(mutex_);
  // upper_bound on since_id, not lower_bound on since_id + 1: no overflow at INT64_MAX.
  auto first = std::upper_bound(ring_.begin(), ring_.end(), since_id, IdGreater);
  size_t count = std::min(limit, static_cast<size_t>(ring_.end() - first));
  return std::vector<Ptr>(first, first + static_cast<std::ptrdiff_t>(count));
}

std::vector<MessageStore::Ptr> MessageStore::NewestFirst(size_t limit) const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t count = std::min(limit, ring_.size());
  return std::vector<Ptr>(ring_.rbegin(), ring_.rbegin() + static_cast<std::ptrdiff_t>(count));
}

MessageStore::Ptr MessageStore::Find(int64_t id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = std::lower_bound(ring_.begin(), ring_.end(), id, IdLess);
  return it != ring_.end() && (*it)->id == id ? *it : nullptr;
}

size_t MessageStore::Clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t removed = ring_.size();
  ring_.clear();
  stored_bytes_ = 0;
  return removed;
}

MessageStore::Ptr MessageStore::FindRequest(const std::string& request_id, int64_t since_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto first = std::upper_bound(ring_.begin(), ring_.end(), since_id, IdGreater);
  for (auto it = ring_.end(); it != first;) {
    --it;
    auto found = (*it)->summary.find("request_id");
    if (found != (*it)->summary.end() && found->is_string() && *found == request_id) return *it;
  }
  return nullptr;
}

bool MessageStore::Remove(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = std::lower_bound(ring_.begin(), ring_.end(), id, IdLess);
  if (it == ring_.end() || (*it)->id != id) return false;
  stored_bytes_ -= (*it)->memory_bytes;
  ring_.erase(it);
  return true;
}

int64_t MessageStore::last_id() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_id_ - 1;
}

int64_t MessageStore::WaitForNewer(int64_t after_id,
                                   std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock<std::mutex> lock(mutex_);
  added_cv_.wait_until(lock, deadline, [&] { return waiters_stopped_ || next_id_ - 1 > after_id; });
  return next_id_ - 1;
}

void MessageStore::StopWaiters() {
  std::lock_guard<std::mutex> lock(mutex_);
  waiters_stopped_ = true;
  added_cv_.notify_all();
}

bool MessageStore::waiters_stopped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return waiters_stopped_;
}

size_t MessageStore::stored_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stored_bytes_;
}

size_t MessageStore::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ring_.size();
}

int64_t MessageStore::added() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return added_;
}

int64_t MessageStore::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

}  // namespace fib
