// HerokuTraffic: what the heroku scenario sends and counts on its own, so every job of a fault
// run can be followed by name: POSTs with our X-Request-Id (prefix-N), the mail sink's inbox by
// X-Request-Id, and the sent / accepted / delivered / lost / duplicated tally (docs/heroku.md).
// Thread-safety: functions are thread-compatible; PostJobs uses threads of its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace fib::bench {

struct Posted {
  std::string id;
  int status = 0;                    // HTTP status; 0 = no response (connect or read failed)
  int64_t sent_us = 0, done_us = 0;  // wall clock, µs since the epoch
};

struct PostPlan {
  std::string url;     // the web's base URL
  std::string prefix;  // request ids are <prefix><n>
  double rate_rps = 4;
  int64_t count = 0;  // > 0: exactly this many; else for duration_s
  double duration_s = 10;
  int threads = 4;  // a request waits for a free thread: the schedule may slip, never the count
};

// Posts the lesson form on `plan`'s schedule; returns one entry per request, in order.
std::vector<Posted> PostJobs(const PostPlan& plan);

// Returns, for each X-Request-Id in the inbox at `mail_url`, the times (µs) its emails arrived.
Result<std::map<std::string, std::vector<int64_t>>> InboxByRequestId(const std::string& mail_url);

// The tally of one run (a partition), from what was posted and what arrived.
struct Tally {
  int64_t sent = 0, accepted = 0, rejected_503 = 0, other_failures = 0;
  int64_t delivered = 0;             // accepted requests whose email arrived
  int64_t lost = 0;                  // accepted, no email
  int64_t duplicated = 0;            // requests with more than one email
  int64_t unaccepted_delivered = 0;  // refused or unanswered, yet an email came (not a loss)
  double max_503_ms = 0;             // slowest 503: how long a refusal took
};
Tally Count(const std::vector<Posted>& posted,
            const std::map<std::string, std::vector<int64_t>>& inbox);

// Returns true when an HTTP status means the job was accepted (2xx, 3xx).
inline bool Accepted(int status) { return status >= 200 && status < 400; }

// Polls the inbox until every accepted request of `posted` has an email, or `timeout_ms` passes.
// Returns the last inbox seen.
Result<std::map<std::string, std::vector<int64_t>>> WaitForEmails(const std::string& mail_url,
                                                                  const std::vector<Posted>& posted,
                                                                  int timeout_ms);

}  // namespace fib::bench
