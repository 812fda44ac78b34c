#include "workers/profiles/stage_sampler.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

namespace {

constexpr int kDraws = 20000;

fib::Stage JobStage(const std::string& keys) {
  auto profile = fib::ParseProfile(
      "job_class = \"W\"\n[[job]]\nname = \"work\"\nkind = \"io\"\n" + keys, "sampler.toml");
  INFO(profile.message());
  REQUIRE(profile.ok());
  return profile->job.at(0);
}

std::vector<double> Draw(const fib::Stage& stage, int count) {
  REQUIRE(stage.sampler != nullptr);
  std::vector<double> draws;
  draws.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) draws.push_back(stage.sampler->DrawMs());
  return draws;
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double Variance(const std::vector<double>& v) {
  double mean = Mean(v), sum = 0;
  for (double x : v) sum += (x - mean) * (x - mean);
  return sum / static_cast<double>(v.size() - 1);
}

// The q-quantile (0..1) of the draws, nearest rank.
double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

}  // namespace

TEST_CASE("Exponential draws have the stated mean, a CV of 1 and respect the cap", "[sampler]") {
  fib::Stage stage = JobStage("distribution = \"exponential\"\nms = 10\nseed = 42\n");
  CHECK(stage.max_ms == 1000);  // the default cap: 100 means
  std::vector<double> draws = Draw(stage, kDraws);
  double mean = Mean(draws);
  double cv = std::sqrt(Variance(draws)) / mean;
  INFO("mean " << mean << " ms, CV " << cv);
  CHECK(mean == Approx(10).epsilon(0.03));
  CHECK(cv == Approx(1).epsilon(0.03));
  CHECK(Quantile(draws, 0.5) == Approx(10 * std::log(2)).epsilon(0.04));
  CHECK(*std::min_element(draws.begin(), draws.end()) >= 0);
  CHECK(fib::StageMeanMs(stage) == Approx(10).epsilon(1e-9));
  CHECK(fib::StageVarianceMs2(stage) == Approx(100).epsilon(1e-9));
}

TEST_CASE("Log-normal draws have the stated p50 and p99", "[sampler]") {
  fib::Stage stage = JobStage("distribution = \"lognormal\"\np50_ms = 8\np99_ms = 40\nseed = 7\n");
  fib::LogNormalParams p = fib::LogNormalOf(stage);
  CHECK(p.mu == Approx(std::log(8.0)));
  CHECK(p.sigma == Approx(std::log(5.0) / 2.3263478740));
  std::vector<double> draws = Draw(stage, kDraws);
  INFO("p50 " << Quantile(draws, 0.5) << " ms, p99 " << Quantile(draws, 0.99) << " ms");
  CHECK(Quantile(draws, 0.5) == Approx(8).epsilon(0.03));
  CHECK(Quantile(draws, 0.99) == Approx(40).epsilon(0.06));
  // The theoretical moments the queueing formulas read match what is drawn.
  CHECK(fib::StageMeanMs(stage) == Approx(8 * std::exp(p.sigma * p.sigma / 2)).epsilon(1e-6));
  CHECK(Mean(draws) == Approx(fib::StageMeanMs(stage)).epsilon(0.03));
  CHECK(Variance(draws) == Approx(fib::StageVarianceMs2(stage)).epsilon(0.1));
}

TEST_CASE("A tight max_ms caps every draw and lowers the mean and variance to match", "[sampler]") {
  fib::Stage stage = JobStage("distribution = \"exponential\"\nms = 10\nmax_ms = 15\nseed = 3\n");
  std::vector<double> draws = Draw(stage, kDraws);
  CHECK(*std::max_element(draws.begin(), draws.end()) == 15);
  // E[min(X, 15)] = 10 (1 - e^-1.5) = 7.77 ms: far from the uncapped 10 ms.
  CHECK(fib::StageMeanMs(stage) == Approx(10 * (1 - std::exp(-1.5))).epsilon(1e-9));
  CHECK(Mean(draws) == Approx(fib::StageMeanMs(stage)).epsilon(0.02));
  CHECK(Variance(draws) == Approx(fib::StageVarianceMs2(stage)).epsilon(0.04));
  fib::Stage lognormal =
      JobStage("distribution = \"lognormal\"\np50_ms = 8\np99_ms = 40\nmax_ms = 41\nseed = 3\n");
  std::vector<double> capped = Draw(lognormal, kDraws);
  CHECK(*std::max_element(capped.begin(), capped.end()) == 41);
  CHECK(Mean(capped) == Approx(fib::StageMeanMs(lognormal)).epsilon(0.03));
  CHECK(Variance(capped) == Approx(fib::StageVarianceMs2(lognormal)).epsilon(0.06));
}

TEST_CASE("The same seed gives the same durations; another seed, others", "[sampler]") {
  const std::string keys = "distribution = \"lognormal\"\np50_ms = 8\np99_ms = 40\n";
  std::vector<double> first = Draw(JobStage(keys + "seed = 5\n"), 100);
  std::vector<double> again = Draw(JobStage(keys + "seed = 5\n"), 100);
  std::vector<double> other = Draw(JobStage(keys + "seed = 6\n"), 100);
  CHECK(first == again);
  CHECK(first != other);
  // A profile-level seed seeds every stage, each from its own stream.
  auto profile = fib::ParseProfile(
      "job_class = \"W\"\nseed = 5\n[[job]]\nname = \"a\"\nkind = \"io\"\n"
      "distribution = \"exponential\"\nms = 10\n"
      "[[job]]\nname = \"b\"\nkind = \"cpu\"\ndistribution = \"exponential\"\nms = 10\n",
      "seeded.toml");
  REQUIRE(profile.ok());
  auto twin = fib::ParseProfile(
      "job_class = \"W\"\nseed = 5\n[[job]]\nname = \"a\"\nkind = \"io\"\n"
      "distribution = \"exponential\"\nms = 10\n",
      "twin.toml");
  REQUIRE(twin.ok());
  std::vector<double> a = Draw(profile->job[0], 50);
  CHECK(a == Draw(twin->job[0], 50));
  CHECK(a != Draw(profile->job[1], 50));
}

TEST_CASE("Fixed jitter draws whole milliseconds in ms ± jitter_ms, each about as often",
          "[sampler]") {
  fib::Stage stage = JobStage("ms = 10\njitter_ms = 2\nseed = 1\n");
  std::vector<double> draws = Draw(stage, kDraws);
  for (int ms = 8; ms <= 12; ++ms) {
    auto count = std::count(draws.begin(), draws.end(), static_cast<double>(ms));
    CHECK(count == Approx(kDraws / 5).epsilon(0.06));
  }
  CHECK(std::count_if(draws.begin(), draws.end(), [](double x) { return x < 8 || x > 12; }) == 0);
  CHECK(fib::StageVarianceMs2(stage) == Approx(2.0));  // j(j+1)/3
  CHECK(Variance(draws) == Approx(2.0).epsilon(0.04));
  CHECK(JobStage("ms = 10\n").sampler == nullptr);  // fixed without jitter draws nothing
}
