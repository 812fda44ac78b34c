#include "tests/fault_redis_mail_fixture.h"

#include <algorithm>

#include "tests/support/percentile.h"

namespace fib::test {

namespace {

void CountOne(const SentRequest& request, const OutageTimes& times, double grace_s,
              OutageFigures* figures) {
  ++figures->sent;
  if (request.success()) {
    ++figures->succeeded;
    figures->success_ids.insert(request.request_id);
    if (request.sent_s >= times.down_s && request.sent_s < times.start_begin_s) {
      ++figures->successes_while_down;
    }
    if (request.sent_s >= times.start_begin_s) ++figures->successes_after_restart;
    return;
  }
  figures->non_success_ids.insert(request.request_id);
  if (request.sent_s > times.up_s + grace_s) ++figures->failures_after_grace;
  if (request.status == 503) {
    ++figures->unavailable_503;
    if (request.sent_s >= times.up_s) ++figures->unavailable_after_up;
    return;
  }
  ++figures->other;
  if (figures->other_examples.size() < 5) {
    figures->other_examples.push_back(request.request_id +
                                      " status=" + std::to_string(request.status) + " after " +
                                      std::to_string(request.latency_ms) + " ms");
  }
}

}  // namespace

OutageFigures SummarizeOutage(const std::vector<SentRequest>& records, const OutageTimes& times,
                              double grace_s) {
  OutageFigures figures;
  std::vector<double> latencies_503_ms;
  double first_success_done_s = -1;
  for (const SentRequest& request : records) {
    CountOne(request, times, grace_s, &figures);
    if (request.status == 503) latencies_503_ms.push_back(request.latency_ms);
    if (request.success() && request.sent_s >= times.start_begin_s &&
        (first_success_done_s < 0 || request.done_s() < first_success_done_s)) {
      first_success_done_s = request.done_s();
    }
  }
  figures.p50_503_ms = Percentile(latencies_503_ms, 50);
  figures.p99_503_ms = Percentile(latencies_503_ms, 99);
  figures.max_503_ms = Percentile(latencies_503_ms, 100);
  figures.outage_s = times.up_s - times.stop_begin_s;
  if (first_success_done_s >= 0) {
    // The port poll may notice "up" a little after Redis did; never report a negative time.
    figures.recovery_ms = std::max(0.0, (first_success_done_s - times.up_s) * 1000);
  }
  return figures;
}

}  // namespace fib::test
