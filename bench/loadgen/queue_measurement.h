// QueueMeasurement: the measured side of the queueing comparison (docs/queueing.md), from each
// background job's stamps in its email (common/fib_timing.h): when it was enqueued, when a worker
// started it, and when the mail sink accepted its email.
//  - λ and ca²: from the gaps between enqueue stamps, in order;
//  - E[S] and cs²: the time a worker thread was busy with each job, started → accepted, plus the
//    worker's hand-off after the send (reply, ack, next fetch). With one worker thread the
//    hand-off is measured where it shows: from one job's acceptance to the next job's start when
//    the next job was already waiting. With several threads it cannot be told apart and is 0;
//  - the mean queue wait Wq (enqueued → started) with a 95% confidence interval by batch means
//    (10 consecutive batches in enqueue order; waits in a queue are correlated, so the plain
//    standard error would be far too narrow).
// A job starts when the worker performs it (its perform stamp), not when it was fetched: a
// prefetched job waiting in the worker's buffer is still queueing.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/loadgen/queueing_theory.h"

namespace fib {

struct JobStamps {
  int64_t enqueued_us = 0;
  int64_t started_us = 0;  // the worker began the job (perform; fetch when there is none)
  int64_t done_us = 0;     // the sink accepted the job's email
};

struct QueueMeasurement {
  int64_t jobs = 0;
  double lambda_per_s = 0;
  double arrival_scv = 0;
  double service_mean_ms = 0;  // hand-off included
  double service_scv = 0;
  double handoff_ms = 0;      // mean hand-off added to each job's service time
  int64_t handoff_pairs = 0;  // back-to-back job pairs it was measured on
  double wait_mean_ms = 0;
  double wait_ci95_ms = -1;  // half-width of the 95% interval; -1 when too few jobs
};

// Returns nullopt with fewer than 3 jobs. `single_server`: the jobs were served by one worker
// thread (the hand-off can be measured).
std::optional<QueueMeasurement> MeasureQueue(std::vector<JobStamps> jobs, bool single_server);

struct QueueVerdict {
  bool judged = false;  // the run was long enough to tell
  bool agrees = false;  // measured within the tolerance of the prediction
  std::string text;     // one sentence for reports
};

// Compares the measured mean wait with the prediction. Only an exact formula is judged (an
// approximation is shown, not judged), and only when the run had JobsToJudge(ρ) jobs and a 95%
// interval narrower than ± `tolerance` of the prediction. It disagrees only when the whole
// interval lies beyond ± `tolerance`. A prediction of no wait (D/D/1) is judged against 10% of
// the mean service time instead.
QueueVerdict JudgeQueue(const QueueMeasurement& measured, const QueuePrediction& predicted,
                        double tolerance = 0.15);

// The queueing section of a background run's report.
struct QueueComparison {
  QueueMeasurement measured;
  int servers = 0;  // worker threads (from the workers' heartbeats); 0 = unknown, no prediction
  bool poisson_arrivals = false;
  std::optional<QueuePrediction> predicted;
  QueueVerdict verdict;
};

// Predicts from the measured λ, E[S] and cs² (and ca² unless arrivals are Poisson) for
// `servers` worker threads, and judges the measurement against it. servers <= 0: no prediction.
QueueComparison CompareQueue(const QueueMeasurement& measured, int servers, bool poisson_arrivals);

}  // namespace fib
