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
  CHECK(dd1.model == "D/D/1");
  CHECK(dd1.exact);
  CHECK(dd1.wait_ms == Approx(0));
  // Allen–Cunneen scales the M/M/c wait by (ca² + cs²) / 2.
  auto ggc = fib::PredictQueue({100, 10, 0.5, 0.3, false, 2});
  CHECK(ggc.formula.find("Allen") == 0);
  CHECK_FALSE(ggc.exact);
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

TEST_CASE("JudgeQueue judges only exact formulas on runs long enough to tell", "[queueing]") {
  fib::QueuePrediction p;
  p.stable = true;
  p.exact = true;
  p.rho = 0.7;
  p.wait_ms = 10;
  fib::QueueMeasurement m;
  m.jobs = 5000;  // at least 400 / 0.3² = 4445
  m.service_mean_ms = 10;
  m.wait_mean_ms = 11;
  m.wait_ci95_ms = 1;  // ±10% of the prediction
  auto v = fib::JudgeQueue(m, p);
  CHECK(v.judged);
  CHECK(v.agrees);
  CHECK(v.text.find("+10.0%") != std::string::npos);
  // 20% off with a ±10% interval: the interval reaches back within 15%, so it agrees.
  m.wait_mean_ms = 12;
  CHECK(fib::JudgeQueue(m, p).agrees);
  // 30% off: the whole interval [+20%, +40%] is beyond 15%.
  m.wait_mean_ms = 13;
  v = fib::JudgeQueue(m, p);
  CHECK(v.judged);
  CHECK_FALSE(v.agrees);
  CHECK(v.text.find("DISAGREES") != std::string::npos);
  m.wait_ci95_ms = 2;  // ±20%: cannot tell 15%
  v = fib::JudgeQueue(m, p);
  CHECK_FALSE(v.judged);
  CHECK(v.text.find("too short to judge") != std::string::npos);
  // A narrow interval from too few jobs is not trusted (a heavy-tailed mean runs low).
  m.wait_ci95_ms = 0.5;
  m.jobs = 2000;
  v = fib::JudgeQueue(m, p);
  CHECK_FALSE(v.judged);
  CHECK(v.text.find("2000 jobs of the 4445") != std::string::npos);
  CHECK(fib::JobsToJudge(0.5) == 1600);
  CHECK(fib::JobsToJudge(0.9) == 40000);
  // An approximation is shown, never judged.
  m.jobs = 50000;
  p.exact = false;
  v = fib::JudgeQueue(m, p);
  CHECK_FALSE(v.judged);
  CHECK(v.text.find("not judged") != std::string::npos);
  // D/D/1 predicts no wait: judged against 10% of E[S].
  p.exact = true;
  p.wait_ms = 0;
  m.wait_mean_ms = 0.3;
  CHECK(fib::JudgeQueue(m, p).agrees);
  m.wait_mean_ms = 3;
  CHECK_FALSE(fib::JudgeQueue(m, p).agrees);
  p.stable = false;
  CHECK_FALSE(fib::JudgeQueue(m, p).judged);
}

TEST_CASE("D/M/1 is exact as GI/M/1; Kingman is an approximation and far off there", "[queueing]") {
  // σ = exp(−(1 − σ)/ρ) at ρ = 0.5: σ = 0.2032; Wq = E[S]·σ/(1 − σ) = 2.55 ms for E[S] = 10.
  auto dm1 = fib::PredictQueue({50, 10, 1, 0, false, 1});
  CHECK(dm1.model == "D/M/1");
  CHECK(dm1.exact);
  CHECK(dm1.wait_ms == Approx(10 * 0.2032 / 0.7968).epsilon(1e-3));
  // Kingman would say ρ/(1 − ρ)·(0 + 1)/2·E[S] = 5 ms: 96% too high.
  auto gm1 = fib::PredictQueue({50, 10, 1, 0.5, false, 1});
  CHECK_FALSE(gm1.exact);
  CHECK(gm1.wait_ms == Approx(10 * 1.0 * 1.5 / 2));
  auto dd1 = fib::PredictQueue({90, 10, 0, 0, false, 1});
  CHECK(dd1.model == "D/D/1");
  CHECK(dd1.exact);
  CHECK(dd1.wait_ms == 0);
}

TEST_CASE("MeasureQueue on a simulated D/M/1 queue agrees with the exact GI/M/1 formula",
          "[queueing]") {
  std::mt19937_64 rng(11);
  std::exponential_distribution<double> service(1.0 / 10000);  // mean 10 ms, in µs
  std::vector<JobStamps> jobs;
  int64_t free_at = 0;
  for (int64_t i = 0; i < 200000; ++i) {
    int64_t enq = 1'000'000'000 + i * 20'000;  // every 20 ms: ρ = 0.5
    int64_t start = std::max(enq, free_at);
    auto s = static_cast<int64_t>(service(rng));
    jobs.push_back({enq, start, start + s});
    free_at = start + s;
  }
  auto m = fib::MeasureQueue(jobs, true);
  REQUIRE(m);
  auto q = fib::CompareQueue(*m, 1, false);
  REQUIRE(q.predicted);
  CHECK(q.predicted->model == "D/M/1");
  INFO(q.verdict.text);
  CHECK(q.verdict.judged);
  CHECK(q.verdict.agrees);
  CHECK(m->wait_mean_ms == Approx(q.predicted->wait_ms).epsilon(0.05));
}
