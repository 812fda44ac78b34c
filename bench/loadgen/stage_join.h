// StageJoin: where the time went, per request. Joins each email's X-Fib-Timing stamps
// (common/fib_timing.h) with the request's intended send time and the sink's accept time into one
// histogram per segment of the waterfall (docs/measurement.md#the-stage-waterfall). Stamps come
// from different processes on one clock (CLOCK_REALTIME, one machine): a negative or implausible
// interval is counted and named, never recorded as if it were small.
// Thread-safety: none; used by the thread that runs the e2e join.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/histogram/hdr_histogram.h"
#include "bench/loadgen/queue_measurement.h"
#include "common/fib_timing.h"

namespace fib {

// Segment names (the job's own stages use their profile names).
inline constexpr char kStageToWeb[] = "to web";                 // request start - intended send
inline constexpr char kStageWebToEnqueue[] = "web to enqueue";  // enqueued - request start
inline constexpr char kStageWebToJob[] = "web to job";          // inline: perform - request start
inline constexpr char kStageQueueWait[] = "queue wait";         // fetched - enqueued
inline constexpr char kStagePickup[] = "pickup";                // perform - fetched
inline constexpr char kStageJobGap[] = "job overhead";          // smtp start - perform - job stages
inline constexpr char kStageSmtp[] = "smtp";                    // sink accept - smtp start

// An interval longer than this (1 h) is a clock jump, not a measurement.
inline constexpr int64_t kMaxPlausibleIntervalUs = 3600LL * 1000 * 1000;

struct StageJoinResult {
  std::vector<std::string> order;  // segment names in waterfall order, as first seen
  std::map<std::string, HdrHistogram> histograms;  // µs
  int64_t with_timing = 0;                         // emails with a readable X-Fib-Timing header
  int64_t without_timing = 0;  // emails without one (another client's job, an older worker)
  int64_t unreadable = 0;      // headers that did not parse (counted in without_timing too)
  std::map<std::string, int64_t> missing;      // stamp name -> emails that lacked it
  std::map<std::string, int64_t> negative;     // segment -> intervals below 0 (not recorded)
  std::map<std::string, int64_t> implausible;  // segment -> intervals over 1 h (not recorded)
  std::vector<JobStamps> jobs;  // background jobs with enqueue, fetch and acceptance stamps
};

// Appends a WARNING for negative or implausible intervals (clock trouble), unreadable headers and
// stamps some emails lacked, so a report never shows a waterfall without saying what it lacks.
void AddStageWarnings(const StageJoinResult& result, std::vector<std::string>* warnings);

class StageJoin {
 public:
  // Joins one request's email. `header` is its X-Fib-Timing value (nullptr when absent).
  void Add(int64_t intended_wall_us, const std::string* header, int64_t received_at_us);
  const StageJoinResult& result() const { return result_; }

 private:
  // Records `to - from` under `name` when both stamps are set; else counts `missing_stamp`.
  void Interval(const char* name, int64_t from_us, int64_t to_us);
  void Record(const std::string& name, int64_t value_us);

  StageJoinResult result_;
};

}  // namespace fib
