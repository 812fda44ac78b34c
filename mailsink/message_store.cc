#include "mailsink/message_store.h"

#include <algorithm>

namespace fib {
namespace {

bool IdLess(const MessageStore::Ptr& message, int64_t id) { return message->id < id; }

}  // namespace

MessageStore::MessageStore(MessageStoreOptions options) : options_(options) {
  if (options_.max_messages == 0) options_.max_messages = 1;
}

MessageStore::Ptr MessageStore::Add(StoredMessage message) {
  std::lock_guard<std::mutex> lock(mutex_);
  message.id = next_id_++;
  auto stored = std::make_shared<const StoredMessage>(std::move(message));
  ring_.push_back(stored);
  ++added_;
  if (ring_.size() > options_.max_messages) {
    ring_.pop_front();
    ++dropped_;
  }
  return stored;
}

std::vector<MessageStore::Ptr> MessageStore::Since(int64_t since_id, size_t limit) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto first = std::lower_bound(ring_.begin(), ring_.end(), since_id + 1, IdLess);
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
  return removed;
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
