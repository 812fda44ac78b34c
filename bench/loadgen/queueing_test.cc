// Queueing theory (Erlang C, Pollaczek–Khinchine, Allen–Cunneen) and the measurement it is
// compared with: the formulas against textbook values, the measurement against a simulated
// single-server queue whose truth is known.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "bench/loadgen/queue_measurement.h"
#include "bench/loadgen/queueing_theory.h"

using fib::JobStamps;

TEST_CASE("Erlang C matches textbook values", "[queueing]") {
  CHECK(fib::ErlangC(1, 0.7) == Approx(0.7));  // M/M/1: an arrival waits with probability ρ
  CHECK(fib::ErlangC(2, 1.0) == Approx(1.0 / 3));
  CHECK(fib::ErlangC(10, 8.0) == Approx(0.40918).epsilon(1e-4));
  CHECK(fib::ErlangC(3, 2.5) == Approx(0.70225).epsilon(1e-4));
}

TEST_CASE("PredictQueue picks the exact formula where there is one and names it", "[queueing]") {
  // M/D/1 at ρ = 0.7, E[S] = 10 ms: Wq = ρ·E[S] / (2(1 − ρ)) = 11.67 ms.
  auto md1 = fib::PredictQueue({70, 10, 0, 1, true, 1});
  CHECK(md1.model == "M/D/1");
  CHECK(md1.formula.find("Pollaczek") == 0);
  CHECK(md1.rho == Approx(0.7));
  CHECK(md1.wait_ms == Approx(11.6667).epsilon(1e-4));
  CHECK(md1.max_rate_per_s == Approx(100));
  // M/M/1: twice the M/D/1 wait.
  auto mm1 = fib::PredictQueue({70, 10, 1, 1, true, 1});
  CHECK(mm1.model == "M/M/1");
  CHECK(mm1.wait_ms == Approx(23.3333).epsilon(1e-4));
  // M/M/c: Erlang C. c = 2, a = 1: Wq = (1/3)·10 / (2 − 1).
  auto mmc = fib::PredictQueue({100, 10, 1, 1, true, 2});
  CHECK(mmc.model == "M/M/c");
  CHECK(mmc.formula.find("Erlang C") == 0);
  CHECK(mmc.wait_ms == Approx(10.0 / 3));
  // Even arrivals and fixed service (D/D/1): no wait below capacity.
  auto dd1 = fib::PredictQueue({70, 10, 0, 0, false, 1});
  CHECK(dd1.model == "G/D/1");
  CHECK(dd1.formula.find("Kingman") == 0);
  CHECK(dd1.wait_ms == Approx(0));
  // Allen–Cunneen scales the M/M/c wait by (ca² + cs²) / 2.
  auto ggc = fib::PredictQueue({100, 10, 0.5, 0.3, false, 2});
  CHECK(ggc.formula.find("Allen") == 0);
  CHECK(ggc.wait_ms == Approx(10.0 / 3 * 0.4));
  // At or beyond capacity there is no steady state.
  auto full = fib::PredictQueue({100, 10, 0, 1, true, 1});
  CHECK_FALSE(full.stable);
  CHECK(std::isinf(full.wait_ms));
}

TEST_CASE("MaxStableRate: threads per service time, capped by cores for CPU work", "[queueing]") {
  CHECK(fib::MaxStableRate(10, 200, 0, 1) == Approx(50));
  // 10 threads, 200 ms per job of which 100 ms CPU, on one core: 10 jobs/s, not 50.
  CHECK(fib::MaxStableRate(10, 200, 100, 1) == Approx(10));
}

namespace {

// Simulates one worker thread serving Poisson arrivals FIFO: each job's email is accepted
// `service_us` after its fetch, and the worker needs `handoff_us` more before its next fetch.
std::vector<JobStamps> SimulateSingleServer(int jobs, double rate_per_s, int64_t service_us,
                                            int64_t handoff_us, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(rate_per_s / 1e6);
  std::vector<JobStamps> out;
  double t = 1e9;
  int64_t free_at = 0;
  for (int i = 0; i < jobs; ++i) {
    t += gap(rng);
    auto enq = static_cast<int64_t>(t);
    int64_t fetch = std::max(enq, free_at);
    out.push_back({enq, fetch, fetch + service_us});
    free_at = fetch + service_us + handoff_us;
  }
  return out;
}

}  // namespace

TEST_CASE("MeasureQueue recovers λ, E[S] with the hand-off, and the wait of a known queue",
          "[queueing]") {
  // M/D/1: 9.5 ms to the email's acceptance + 0.5 ms hand-off = 10 ms; ρ = 0.7.
  auto jobs = SimulateSingleServer(40000, 70, 9500, 500, 7);
  auto m = fib::MeasureQueue(jobs, true);
  REQUIRE(m);
  CHECK(m->jobs == 40000);
  CHECK(m->lambda_per_s == Approx(70).epsilon(0.02));
  CHECK(m->arrival_scv == Approx(1).epsilon(0.05));
  CHECK(m->handoff_ms == Approx(0.5).epsilon(1e-6));
  CHECK(m->handoff_pairs > 10000);
  CHECK(m->service_mean_ms == Approx(10).epsilon(1e-6));
  CHECK(m->service_scv == Approx(0).margin(1e-9));
  auto q = fib::CompareQueue(*m, 1, true);
  REQUIRE(q.predicted);
  CHECK(q.predicted->model == "M/D/1");
  CHECK(m->wait_mean_ms == Approx(q.predicted->wait_ms).epsilon(0.10));
  CHECK(q.verdict.judged);
  CHECK(q.verdict.agrees);
  // The batch-means interval is honest: it covers the exact P-K value at the true ρ.
  double exact = 0.7 * 10 / (2 * 0.3);
  CHECK(std::fabs(m->wait_mean_ms - exact) < 1.5 * m->wait_ci95_ms);
  // Without one server the hand-off cannot be told apart: none is added.
  auto multi = fib::MeasureQueue(jobs, false);
  REQUIRE(multi);
  CHECK(multi->handoff_ms == 0);
  CHECK(multi->service_mean_ms == Approx(9.5).epsilon(1e-6));
}

TEST_CASE("MeasureQueue drops jobs whose stamps are out of order and needs three", "[queueing]") {
  std::vector<JobStamps> jobs = {{100, 50, 200}, {0, 10, 20}, {300, 400, 350}};
  CHECK_FALSE(fib::MeasureQueue(jobs, true));
  jobs.push_back({1000, 1000, 2000});
  jobs.push_back({3000, 3000, 4000});
  jobs.push_back({5000, 5000, 6000});
  auto m = fib::MeasureQueue(jobs, true);
  REQUIRE(m);
  CHECK(m->jobs == 3);
  CHECK(m->wait_ci95_ms < 0);  // far too few for an interval
}

TEST_CASE("JudgeQueue judges only runs long enough to tell", "[queueing]") {
  fib::QueuePrediction p;
  p.stable = true;
  p.rho = 0.7;
  p.wait_ms = 10;
  fib::QueueMeasurement m;
  m.service_mean_ms = 10;
  m.wait_mean_ms = 11;
  m.wait_ci95_ms = 1;  // ±10% of the prediction
  auto v = fib::JudgeQueue(m, p);
  CHECK(v.judged);
  CHECK(v.agrees);
  CHECK(v.text.find("+10.0%") != std::string::npos);
  m.wait_mean_ms = 13;
  v = fib::JudgeQueue(m, p);
  CHECK(v.judged);
  CHECK_FALSE(v.agrees);
  CHECK(v.text.find("OUTSIDE") != std::string::npos);
  m.wait_ci95_ms = 2;  // ±20%: cannot tell 15%
  v = fib::JudgeQueue(m, p);
  CHECK_FALSE(v.judged);
  CHECK(v.text.find("too short to judge") != std::string::npos);
  // A prediction of no wait is judged against 10% of E[S].
  p.wait_ms = 0;
  m.wait_mean_ms = 0.3;
  CHECK(fib::JudgeQueue(m, p).agrees);
  m.wait_mean_ms = 3;
  CHECK_FALSE(fib::JudgeQueue(m, p).agrees);
  p.stable = false;
  CHECK_FALSE(fib::JudgeQueue(m, p).judged);
}
