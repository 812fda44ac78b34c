// QueueSelector: the order in which one fetch tries the queues, as Sidekiq's -q flags define it.
// `-q a -q b` (no weights) is strict: always a, then b. `-q a,3 -q b,1` is weighted: the list
// holds each queue `weight` times and is shuffled before every fetch, duplicates then removed, so
// `a` comes first about 3 times in 4.
// Thread-safety: immutable after construction; Order may be called from many threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace fib {

// Returns a uniformly random integer in [0, bound). REQUIRES: bound > 0.
using RandomFn = std::function<uint64_t(uint64_t bound)>;

class QueueSelector {
 public:
  // Parses -q values, each "name" or "name,weight" (weight a whole number >= 0; 0 counts as 1,
  // as Sidekiq). Any weight > 0 makes the order weighted. An empty list means {"default"}.
  // Returns an error naming the bad value (empty name, bad weight, a queue given twice).
  static Result<QueueSelector> FromFlags(const std::vector<std::string>& flags);

  // Returns the queue names (no "queue:" prefix) in the order the next fetch should try them.
  std::vector<std::string> Order(const RandomFn& random) const;

  bool strict() const { return strict_; }
  // Returns each queue once, in flag order.
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::vector<std::string> weighted_;  // each name repeated by its weight
  bool strict_ = true;
};

}  // namespace fib
