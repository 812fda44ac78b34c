// EmailJoin: end-to-end job latency. After the run it polls the mail sink's inbox
// (GET /messages?since_id=N) until every request that got a 2xx has its email or the drain time
// is up, joins emails to requests by X-Request-Id, and records intended send time -> received_at.
// Thread-safety: none; used by the main thread after the load threads stopped.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/histogram/hdr_histogram.h"
#include "bench/loadgen/loadgen_options.h"
#include "bench/loadgen/run_stats.h"
#include "bench/loadgen/stage_join.h"
#include "common/status.h"

namespace fib {

struct EmailJoinResult {
  HdrHistogram e2e;      // received_at - intended send, µs
  int64_t expected = 0;  // requests answered 2xx in the measured window
  int64_t received = 0;  // of those, with an email
  int64_t missing = 0;
  int64_t duplicates = 0;                // extra emails for an id already seen
  int64_t before_response = 0;           // emails whose e2e is below the response latency
  std::vector<std::string> missing_ids;  // first 100
  StageJoinResult stages;                // the waterfall, from each first email's X-Fib-Timing
};

class EmailJoin {
 public:
  // `expected`: the requests to find; ids are "<run_id>-<number>".
  EmailJoin(std::string run_id, const std::vector<SentRequest>& expected);

  // Feeds one page of GET /messages. Emails of other runs (or warmup) are ignored.
  void AddMessages(const nlohmann::json& messages);
  bool complete() const { return result_.received == result_.expected; }
  int64_t last_id() const { return last_id_; }
  // Returns the X-Request-Id of the oldest expected request still without an email ("" when
  // none). Amortised O(1): emails only ever arrive, so a cursor moves forward.
  std::string OldestMissingId();
  // Returns the result; fills missing and missing_ids.
  EmailJoinResult Finish();

  // Pages `mail`'s GET /messages?since_id until complete or `drain_s` passed; between pages it
  // long-polls GET /messages/wait for the oldest missing email (fibtastic-mailsink), so it pages
  // again as soon as that one is in, or sleeps 200 ms on a sink without it (mailcatcher). Error
  // when the inbox cannot be read.
  static Result<EmailJoinResult> Run(const HttpUrl& mail, std::string run_id,
                                     const std::vector<SentRequest>& expected, double drain_s);

 private:
  struct Pending {
    int64_t intended_wall_us;
    int64_t response_us;
    int emails = 0;
  };
  std::string prefix_;
  std::unordered_map<int64_t, Pending> pending_;
  std::vector<int64_t> order_;
  EmailJoinResult result_;
  StageJoin stages_;
  int64_t last_id_ = 0;
  size_t missing_cursor_ = 0;  // order_[0, cursor) all have their email
};

}  // namespace fib
