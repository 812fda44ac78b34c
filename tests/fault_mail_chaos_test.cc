// Fault tests (issue 13): the provider's plug pulled mid-run with one PUT /api/chaos, through the
// background variant at 10 req/s (web --mode background, fibtastic-worker, redis-server):
//  - a 10 s outage (421 at the greeting, and at MAIL on kept-alive connections): the retry set
//    grows and drains, every email arrives, and each affected request's time to email is the
//    rest of the outage plus at most the one retry back-off that straddles its end;
//  - a 5 msg/s rate limit (421 4.7.0 at MAIL): the sink accepts 5/s within 10% while demand is
//    higher, the worker logs the 421s, nothing is lost.
// Each prints its figures. The worker's back-off is Sidekiq's, scaled by --retry-delay-scale.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "common/build_info.h"
#include "tests/support/redis_server.h"
#include "tests/support/steady_sender.h"
#include "tests/support/web_app.h"
#include "tests/support/worker_fixture.h"

namespace fib::test {
namespace {

constexpr double kRetryDelayScale = 0.002;
constexpr double kPollMaxS = 0.3;  // the worker's test --poll-interval-s 0.2 waits 0.5x..1.5x
constexpr double kSlackS = 1.0;    // fetch, SMTP round trips, the inbox clock vs ours
const std::string kScale = "0.002";

// Sidekiq 6.4's back-off before retry `count`: (count^4 + 15 + jitter * (count + 1)) s, jitter
// 0..9, scaled as the worker's --retry-delay-scale does.
double BackoffS(int count, int jitter) {
  return (std::pow(count, 4) + 15 + jitter * (count + 1)) * kRetryDelayScale;
}

// Returns the latest moment the email of a request first tried at `sent_s` may arrive when the
// provider is down until `end_s`: the retry that straddles end_s has at most the count reached
// with the shortest back-offs, and waits at most that count's longest back-off and one poll.
double LatestArrivalS(double sent_s, double end_s) {
  double t = sent_s;
  int failures = 0;
  while (t < end_s) t += BackoffS(failures++, 0);
  return end_s + BackoffS(std::max(0, failures - 1), 9) + kPollMaxS + kSlackS;
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Arrival time of every stored message by request id, in seconds on the sender's time line.
std::map<std::string, double> Arrivals(const MailSink& sink, double wall_at_epoch_s) {
  std::map<std::string, double> arrivals;
  for (const auto& m : sink.Messages()) {
    if (!m["request_id"].is_string()) continue;
    arrivals[m["request_id"]] = m["received_at"].get<double>() / 1e6 - wall_at_epoch_s;
  }
  return arrivals;
}

// Polls until every id arrived or timeout_s passed; returns the delivery and the largest retry
// set seen meanwhile.
Delivery DrainWatchingRetries(const MailSink& sink, const RedisServer& redis,
                              const std::set<std::string>& ids, double timeout_s,
                              int64_t* most_retries) {
  auto start = std::chrono::steady_clock::now();
  Delivery delivery = CountDelivery(sink.Messages(), ids);
  while (!delivery.missing.empty() &&
         std::chrono::steady_clock::now() - start < std::chrono::duration<double>(timeout_s)) {
    std::string retries = redis.Cli({"ZCARD", "retry"});
    *most_retries = std::max<int64_t>(*most_retries, retries.empty() ? 0 : std::stoll(retries));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    delivery = CountDelivery(sink.Messages(), ids);
  }
  return delivery;
}

void SleepS(double seconds) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }

TEST_CASE(
    "mail provider down for 10 s mid-run (PUT /api/chaos): retries grow and drain, every "
    "email arrives, time to email = rest of outage + back-off",
    "[fault][mail][chaos]") {
  const double outage_s = 10;
  MailSink sink;
  RedisServer redis;
  WebApp web = WebApp::Background(redis.url());
  auto worker = StartWorker(redis, sink.smtp_url(),
                            {"-c", "10", "--retry-delay-scale", kScale, "--no-log-jobs"});
  SteadySender sender({.port = web.port(), .rate_rps = 10, .connections = 2, .id_prefix = "out"});
  sender.Start();
  const double wall_at_epoch_s = WallSeconds() - sender.Now();
  SleepS(2);
  double start_s = sender.Now();
  sink.SetChaos({{"outage", {{"for_s", outage_s}, {"mode", "421"}}}});
  double end_s = sender.Now() + outage_s;
  int64_t most_retries = 0;
  while (sender.Now() < end_s + 2) {
    std::string retries = redis.Cli({"ZCARD", "retry"});
    most_retries = std::max<int64_t>(most_retries, retries.empty() ? 0 : std::stoll(retries));
    SleepS(0.2);
  }
  sender.Stop();
  SenderResult sent = sender.Result();
  std::set<std::string> accepted = sent.AcceptedIdSet();
  Delivery delivery = DrainWatchingRetries(sink, redis, accepted, 30, &most_retries);
  auto arrivals = Arrivals(sink, wall_at_epoch_s);

  // Requests first tried inside the outage (0.1 s in, so the PUT surely took effect).
  size_t affected = 0, early = 0, late = 0;
  double excess_sum_s = 0, excess_max_s = 0, tte_max_s = 0;
  for (const SentRequest& r : sender.Records()) {
    if (!r.accepted() || r.sent_s < start_s + 0.1 || r.sent_s >= end_s) continue;
    auto it = arrivals.find(r.request_id);
    if (it == arrivals.end()) continue;  // counted as missing
    ++affected;
    double excess_s = it->second - end_s;  // beyond the rest of the outage
    excess_sum_s += excess_s;
    excess_max_s = std::max(excess_max_s, excess_s);
    tte_max_s = std::max(tte_max_s, it->second - r.sent_s);
    if (it->second < end_s - 0.05) ++early;
    if (it->second > LatestArrivalS(r.sent_s, end_s)) ++late;
  }
  nlohmann::json chaos = sink.Stats()["chaos"];
  int retry_lines = CountInLog(*worker, " retry in ");
  std::printf(
      "[fault mail outage] build=%s rate=10 req/s outage=%.0fs mode=421 -c 10 "
      "retry-delay-scale=%s\n"
      "  sent=%lld accepted=%zu delivered=%zu lost=%zu duplicates=%zu | affected=%zu "
      "time_to_email max=%.2fs | after outage end: mean=%.2fs max=%.2fs (bound: straddling "
      "back-off + %.1fs poll + %.1fs slack) early=%zu late=%zu | most_in_retry_set=%lld "
      "retries_logged=%d outage_421=%lld final_retry_set=%s\n",
      BuildType().c_str(), outage_s, kScale.c_str(), static_cast<long long>(sent.sent),
      accepted.size(), delivery.delivered, delivery.missing.size(), delivery.duplicates, affected,
      tte_max_s, affected ? excess_sum_s / affected : 0.0, excess_max_s, kPollMaxS, kSlackS, early,
      late, static_cast<long long>(most_retries), retry_lines, chaos["outage_421"].get<long long>(),
      redis.Cli({"ZCARD", "retry"}).c_str());
  std::fflush(stdout);

  INFO("worker log:\n" << worker->Log());
  CHECK(sent.errors() == 0);
  CHECK(delivery.missing.empty());
  CHECK(delivery.duplicates == 0);
  CHECK(affected > 80);  // ~10 s at 10 req/s
  CHECK(early == 0);     // nothing got through while the provider was down
  CHECK(late == 0);      // and each arrived within the back-off that straddled the end
  CHECK(most_retries > 10);
  CHECK(redis.Cli({"ZCARD", "retry"}) == "0");
  CHECK(chaos["outage_421"].get<int64_t>() > 0);
  CHECK(retry_lines > 0);
}

TEST_CASE(
    "mail provider rate-limited to 5 msg/s (PUT /api/chaos): accept rate within 10%, the "
    "worker logs 421s, nothing is lost",
    "[fault][mail][chaos]") {
  const double send_s = 8;
  const double limit_per_s = 5;
  MailSink sink;
  RedisServer redis;
  WebApp web = WebApp::Background(redis.url());
  auto worker = StartWorker(redis, sink.smtp_url(),
                            {"-c", "10", "--retry-delay-scale", kScale, "--no-log-jobs"});
  sink.SetChaos({{"rate_limit", {{"per_s", limit_per_s}}}});  // burst: 5 (the default)
  SteadySender sender({.port = web.port(),
                       .rate_rps = 10,
                       .connections = 2,
                       .requests = static_cast<int64_t>(send_s * 10),
                       .id_prefix = "limit"});
  sender.Start();
  const double wall_at_epoch_s = WallSeconds() - sender.Now();
  sender.Join();
  SenderResult sent = sender.Result();
  std::set<std::string> accepted = sent.AcceptedIdSet();
  int64_t most_retries = 0;
  Delivery delivery = DrainWatchingRetries(sink, redis, accepted, 40, &most_retries);

  // While the senders offer 10/s the bucket is the bottleneck: count arrivals from 1 s after the
  // first (the burst spent) to the end of sending.
  std::vector<double> times;
  for (const auto& [id, at_s] : Arrivals(sink, wall_at_epoch_s)) times.push_back(at_s);
  std::sort(times.begin(), times.end());
  REQUIRE(times.size() >= 2);
  double from_s = times.front() + 1, to_s = send_s;
  auto in_window =
      std::count_if(times.begin(), times.end(), [&](double t) { return t >= from_s && t < to_s; });
  double window_rate = static_cast<double>(in_window) / (to_s - from_s);
  double overall_rate = static_cast<double>(times.size() - 1) / (times.back() - times.front());
  nlohmann::json chaos = sink.Stats()["chaos"];
  int logged_421 = CountInLog(*worker, "421");
  std::printf(
      "[fault mail rate limit] build=%s rate=10 req/s for %.0fs, limit=%.0f msg/s burst=5 -c 10 "
      "retry-delay-scale=%s\n"
      "  sent=%lld accepted=%zu delivered=%zu lost=%zu duplicates=%zu | accept rate "
      "%.2f msg/s over %.1f-%.1fs (limit %.0f, +-10%%), %.2f msg/s first to last | "
      "rate_limited=%lld worker_log_421=%d most_in_retry_set=%lld\n",
      BuildType().c_str(), send_s, limit_per_s, kScale.c_str(), static_cast<long long>(sent.sent),
      accepted.size(), delivery.delivered, delivery.missing.size(), delivery.duplicates,
      window_rate, from_s, to_s, limit_per_s, overall_rate, chaos["rate_limited"].get<long long>(),
      logged_421, static_cast<long long>(most_retries));
  std::fflush(stdout);

  INFO("worker log:\n" << worker->Log());
  CHECK(sent.errors() == 0);
  CHECK(delivery.missing.empty());
  CHECK(delivery.duplicates == 0);
  CHECK(window_rate == Approx(limit_per_s).epsilon(0.10));
  CHECK(overall_rate <= limit_per_s * 1.10 + 5.0 / (times.back() - times.front()));
  CHECK(chaos["rate_limited"].get<int64_t>() > 0);
  CHECK(logged_421 > 0);
  CHECK(redis.Cli({"ZCARD", "retry"}) == "0");
}

}  // namespace
}  // namespace fib::test
