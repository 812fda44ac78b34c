// StageJoin and EmailJoin together: each request's X-Fib-Timing joined into per-stage histograms,
// with missing, duplicated and out-of-order stamps.
#include "bench/loadgen/stage_join.h"

#include <catch2/catch.hpp>

#include "bench/loadgen/email_join.h"

namespace fib {
namespace {

constexpr int64_t kT0 = 1700000000000000;  // µs since the epoch

// A background email of request `n`: sent at kT0 + n s, every segment a known length.
nlohmann::json Email(int64_t id, int64_t n, int64_t queue_wait_us, const std::string& extra = "") {
  int64_t sent = kT0 + n * 1'000'000;
  FibTiming t;
  t.request_start_us = sent + 500;
  t.enqueued_us = t.request_start_us + 3'200;
  t.fetched_us = t.enqueued_us + queue_wait_us;
  t.perform_us = t.fetched_us + 100;
  t.stages = {{"generate recommendations", 100'000}};
  t.smtp_start_us = t.perform_us + 100'050;
  int64_t received = t.smtp_start_us + 100'700;
  std::string id_text = "run-" + std::to_string(n);
  return {{"id", id},
          {"received_at", received},
          {"headers", {{"X-Request-Id", id_text}, {"X-Fib-Timing", FormatFibTiming(t) + extra}}}};
}

std::vector<SentRequest> Sent(int64_t count) {
  std::vector<SentRequest> sent;
  for (int64_t n = 1; n <= count; ++n) sent.push_back({n, kT0 + n * 1'000'000, 30'000});
  return sent;
}

int64_t P50(const StageJoinResult& r, const std::string& name) {
  return r.histograms.at(name).ValueAtPercentile(50);
}

TEST_CASE("The stage join splits each request's time to email into segments that add up",
          "[stage_join]") {
  EmailJoin join("run", Sent(3));
  // Out of order, and one duplicate (a redelivered job): the first email of each request counts.
  join.AddMessages(nlohmann::json::array(
      {Email(1, 3, 900), Email(2, 1, 900), Email(3, 1, 555'000), Email(4, 2, 900)}));
  EmailJoinResult r = join.Finish();
  CHECK(r.duplicates == 1);
  const StageJoinResult& s = r.stages;
  CHECK(s.with_timing == 3);
  CHECK(s.order == std::vector<std::string>{kStageToWeb, kStageWebToEnqueue, kStageQueueWait,
                                            kStagePickup, "generate recommendations", kStageJobGap,
                                            kStageSmtp});
  CHECK(s.histograms.at(kStageQueueWait).total_count() == 3);
  CHECK(s.histograms.at(kStageQueueWait).Max() < 1'000);  // the duplicate's wait is not counted
  CHECK(P50(s, kStageToWeb) == 500);
  CHECK(P50(s, kStageWebToEnqueue) ==
        s.histograms.at(kStageWebToEnqueue).HighestEquivalentValue(3'200));
  CHECK(P50(s, kStageJobGap) == 50);
  int64_t sum = 0;
  for (const std::string& name : s.order) sum += P50(s, name);
  CHECK(sum == Approx(r.e2e.ValueAtPercentile(50)).epsilon(0.002));
  CHECK(s.negative.empty());
  CHECK(s.missing.empty());
}

TEST_CASE("The stage join counts missing stamps and headers, and never records a negative interval",
          "[stage_join]") {
  StageJoin join;
  join.Add(kT0, nullptr, kT0 + 1'000);  // a job Ruby enqueued: no header at all
  std::string garbage = "req=banana";
  join.Add(kT0, &garbage, kT0 + 1'000);
  std::string no_fetch = "v=1; enq=" + std::to_string(kT0 + 10) +
                         "; perform=" + std::to_string(kT0 + 20) +
                         "; smtp=" + std::to_string(kT0 + 30);
  join.Add(kT0, &no_fetch, kT0 + 40);
  // Out of order: fetched before enqueued (a clock stepped back between two processes).
  std::string backwards = "v=1; req=" + std::to_string(kT0 + 5) +
                          "; enq=" + std::to_string(kT0 + 5'000) +
                          "; fetch=" + std::to_string(kT0 + 4'000);
  join.Add(kT0, &backwards, kT0 + 9'000);
  const StageJoinResult& r = join.result();
  CHECK(r.without_timing == 2);
  CHECK(r.unreadable == 1);
  CHECK(r.with_timing == 2);
  CHECK(r.missing.at("req") == 1);
  CHECK(r.missing.at("fetch") == 1);
  CHECK(r.missing.at("smtp") == 1);
  CHECK(r.negative.at(kStageQueueWait) == 1);
  CHECK(r.histograms.count(kStageQueueWait) == 0);
  std::string jump = "v=1; req=" + std::to_string(kT0 + 7'200'000'000);
  join.Add(kT0, &jump, kT0);
  CHECK(join.result().implausible.at(kStageToWeb) == 1);
}

}  // namespace
}  // namespace fib
