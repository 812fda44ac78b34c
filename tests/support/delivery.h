// Delivery: which of a set of requests got their email in a MailSink (matched by the
// X-Request-Id the sink reports as request_id), and how many extra copies arrived.
// Thread-safety: pure functions, except WaitForDelivery (test thread: it reads the sink).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/mail_sink.h"

namespace fib::test {

struct Delivery {
  size_t delivered = 0;   // ids in `expected` with at least one email
  size_t duplicates = 0;  // extra copies for those ids
  std::vector<std::string> missing;
};

// Counts the messages of a GET /messages list against `expected`.
Delivery CountDelivery(const nlohmann::json& messages, const std::set<std::string>& expected);
// Polls `sink` until every id in `ids` arrived (copies do not count: a rerun's duplicate can
// arrive before another job's first copy) or timeout_ms passed, waits settle_ms more for reruns
// still in flight, and returns the count; `waited_s` (if given) gets the time until the last
// poll, settle excluded.
Delivery WaitForDelivery(const MailSink& sink, const std::set<std::string>& ids, int timeout_ms,
                         int settle_ms = 1000, double* waited_s = nullptr);
// Returns how many stored messages carry a request id from `ids` (copies included).
size_t CountMessagesFor(const nlohmann::json& messages, const std::set<std::string>& ids);

}  // namespace fib::test
