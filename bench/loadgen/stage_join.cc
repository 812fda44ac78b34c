#include "bench/loadgen/stage_join.h"

#include <fmt/format.h>

#include <algorithm>

namespace fib {

void StageJoin::Add(int64_t intended_wall_us, const std::string* header, int64_t received_at_us) {
  Result<FibTiming> parsed = header ? ParseFibTiming(*header) : Status::Error("absent");
  if (!parsed.ok()) {
    ++result_.without_timing;
    if (header) ++result_.unreadable;
    return;
  }
  ++result_.with_timing;
  const FibTiming& t = *parsed;
  for (auto [name, us] : {std::pair{"req", t.request_start_us},
                          {"perform", t.perform_us},
                          {"smtp", t.smtp_start_us}}) {
    if (us == 0) ++result_.missing[name];
  }
  Interval(kStageToWeb, intended_wall_us, t.request_start_us);
  if (t.enqueued_us > 0 || t.fetched_us > 0) {  // the background variant
    Interval(kStageWebToEnqueue, t.request_start_us, t.enqueued_us);
    Interval(kStageQueueWait, t.enqueued_us, t.fetched_us);
    Interval(kStagePickup, t.fetched_us, t.perform_us);
    if (t.enqueued_us == 0) ++result_.missing["enq"];
    if (t.fetched_us == 0) ++result_.missing["fetch"];
    int64_t started_us = t.perform_us > 0 ? t.perform_us : t.fetched_us;
    if (t.enqueued_us > 0 && started_us > 0 && received_at_us > 0) {
      result_.jobs.push_back({t.enqueued_us, started_us, received_at_us});
    }
  } else {
    Interval(kStageWebToJob, t.request_start_us, t.perform_us);
  }
  int64_t stages_us = 0;
  for (const auto& [name, us] : t.stages) {
    Record(name, us);
    stages_us += us;
  }
  if (t.perform_us > 0 && t.smtp_start_us > 0) {
    // Stage durations are monotonic, perform and smtp wall-clock stamps: a gap within -1 ms is
    // rounding between the two clocks, not time running backwards.
    int64_t gap_us = t.smtp_start_us - t.perform_us - stages_us;
    Record(kStageJobGap, gap_us > -1000 && gap_us < 0 ? 0 : gap_us);
  }
  Interval(kStageSmtp, t.smtp_start_us, received_at_us);
}

void StageJoin::Interval(const char* name, int64_t from_us, int64_t to_us) {
  if (from_us > 0 && to_us > 0) Record(name, to_us - from_us);
}

void StageJoin::Record(const std::string& name, int64_t value_us) {
  if (std::find(result_.order.begin(), result_.order.end(), name) == result_.order.end()) {
    result_.order.push_back(name);
  }
  if (value_us < 0) {
    ++result_.negative[name];
  } else if (value_us > kMaxPlausibleIntervalUs) {
    ++result_.implausible[name];
  } else {
    result_.histograms[name].Record(value_us);
  }
}

namespace {

std::string Counts(const std::map<std::string, int64_t>& counts) {
  std::string out;
  for (const auto& [name, n] : counts)
    out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", name, n);
  return out;
}

}  // namespace

void AddStageWarnings(const StageJoinResult& result, std::vector<std::string>* warnings) {
  if (!result.negative.empty() || !result.implausible.empty()) {
    warnings->push_back(fmt::format(
        "WARNING: stage stamps out of order (negative: {}; over 1 h: {}): the stamps come from "
        "different processes and must share one clock (CLOCK_REALTIME, one machine); those "
        "intervals are left out of the stage figures",
        result.negative.empty() ? "none" : Counts(result.negative),
        result.implausible.empty() ? "none" : Counts(result.implausible)));
  }
  if (result.without_timing > 0) {
    warnings->push_back(fmt::format(
        "WARNING: {} email(s) without a readable X-Fib-Timing header ({} unreadable): jobs from "
        "another client or an older worker; they are left out of the stage figures",
        result.without_timing, result.unreadable));
  }
  if (!result.missing.empty()) {
    warnings->push_back(
        "WARNING: emails lacking some stage stamps (stamp: emails): " + Counts(result.missing) +
        "; the segments that need them have fewer samples");
  }
}

}  // namespace fib
