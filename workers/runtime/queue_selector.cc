#include "workers/runtime/queue_selector.h"

#include <algorithm>

#include "common/flags.h"
#include "common/text.h"

namespace fib {

Result<QueueSelector> QueueSelector::FromFlags(const std::vector<std::string>& flags) {
  QueueSelector selector;
  for (const std::string& flag : flags) {
    size_t comma = flag.find(',');
    std::string name = Trim(flag.substr(0, comma));
    int64_t weight = 0;
    if (comma != std::string::npos) {
      auto parsed = ParseInt(Trim(flag.substr(comma + 1)), "queue weight in '" + flag + "'");
      if (!parsed.ok()) return parsed.status();
      if (*parsed < 0 || *parsed > 1000) {
        return Status::Error("queue weight in '" + flag + "' must be between 0 and 1000");
      }
      weight = *parsed;
    }
    if (name.empty())
      return Status::Error("queue name is empty in '" + flag + "'; use NAME[,WEIGHT]");
    if (std::find(selector.names_.begin(), selector.names_.end(), name) != selector.names_.end()) {
      return Status::Error("queue '" + name + "' cannot be given twice");
    }
    selector.names_.push_back(name);
    for (int64_t i = 0; i < std::max<int64_t>(weight, 1); ++i) selector.weighted_.push_back(name);
    if (weight > 0) selector.strict_ = false;
  }
  if (selector.names_.empty()) {
    selector.names_ = {"default"};
    selector.weighted_ = {"default"};
  }
  return selector;
}

std::vector<std::string> QueueSelector::Order(const RandomFn& random) const {
  if (strict_) return names_;
  std::vector<std::string> shuffled = weighted_;
  // Fisher-Yates with the injected random source, so tests can fix the order.
  for (size_t i = shuffled.size(); i > 1; --i) {
    std::swap(shuffled[i - 1], shuffled[random(i)]);
  }
  std::vector<std::string> order;
  for (std::string& name : shuffled) {
    if (std::find(order.begin(), order.end(), name) == order.end())
      order.push_back(std::move(name));
  }
  return order;
}

}  // namespace fib
