#include "bench/orchestrator/heroku_phases.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "bench/orchestrator/drain_watch.h"
#include "bench/orchestrator/heroku_traffic.h"
#include "bench/orchestrator/loadgen_run.h"
#include "common/log.h"
#include "common/redis/redis_connection.h"

namespace fib::bench {

namespace {

struct PartitionTimes {
  double run_s, cut_at_s, cut_s;
  int drain_timeout_ms;
};

PartitionTimes TimesFor(bool quick) {
  return quick ? PartitionTimes{12, 3, 5, 45000} : PartitionTimes{30, 8, 12, 90000};
}

constexpr double kPostRateRps = 3;  // below one worker thread's drain rate of the lesson job

void Sleep(double s) {
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(s * 1000)));
}

std::string Secs(double v) { return std::isnan(v) ? "—" : fmt::format("{:.1f}", v); }

// Returns LLEN queue:default, or -1 when Redis does not answer.
int64_t QueueDepth(const std::string& redis_url) {
  auto redis = RedisConnection::Open(redis_url);
  if (!redis.ok()) return -1;
  auto reply = (*redis)->Command({"LLEN", "queue:default"});
  return reply.ok() ? reply->integer : -1;
}

// Returns, for each id of `ids`, the Redis key whose job payload names it (queue:default, retry,
// schedule, dead, a worker's in-progress list), or "nowhere": where a lost job went.
nlohmann::json WhereInRedis(const std::string& redis_url, const std::vector<std::string>& ids) {
  nlohmann::json where = nlohmann::json::object();
  auto redis = RedisConnection::Open(redis_url);
  if (!redis.ok() || ids.empty()) return where;
  std::vector<std::pair<std::string, bool>> keys = {
      {"queue:default", true}, {"retry", false}, {"schedule", false}, {"dead", false}};
  if (auto in_progress = (*redis)->Command({"KEYS", "fibtastic:inprogress:*"}); in_progress.ok()) {
    for (const auto& k : in_progress->elements) keys.emplace_back(k.str, true);
  }
  for (const auto& id : ids) where[id] = "nowhere";
  for (const auto& [key, is_list] : keys) {
    auto members = is_list ? (*redis)->Command({"LRANGE", key, "0", "-1"})
                           : (*redis)->Command({"ZRANGE", key, "0", "-1"});
    if (!members.ok()) continue;
    for (const auto& m : members->elements) {
      for (const auto& id : ids) {
        if (m.str.find("\"" + id + "\"") != std::string::npos) where[id] = key;
      }
    }
  }
  return where;
}

// The first arrival (µs) of each posted request's email, for the accepted ones that arrived.
std::vector<int64_t> FirstArrivals(const std::vector<Posted>& posted,
                                   const std::map<std::string, std::vector<int64_t>>& inbox) {
  std::vector<int64_t> out;
  for (const auto& p : posted) {
    auto found = inbox.find(p.id);
    if (!Accepted(p.status) || found == inbox.end() || found->second.empty()) continue;
    out.push_back(*std::min_element(found->second.begin(), found->second.end()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One drain step: `jobs` wait in Redis, then `workers` start; returns the step's figures.
Result<nlohmann::json> DrainStep(HerokuHosts& hosts, const std::vector<Posted>& posted, int workers,
                                 bool quick) {
  int64_t depth = QueueDepth(hosts.RedisUrl());
  const int64_t start_us = WallMicros();
  if (Status s = hosts.StartWorkers(workers); !s.ok()) return s;
  auto inbox = WaitForEmails(hosts.MailUrl(), posted, quick ? 60000 : 180000);
  if (!inbox.ok()) return inbox.status();
  hosts.StopWorkers();
  std::vector<int64_t> first = FirstArrivals(posted, *inbox);
  Tally t = Count(posted, *inbox);
  double drained_s = first.empty() ? NAN : (first.back() - start_us) / 1e6;
  double first_s = first.empty() ? NAN : (first.front() - start_us) / 1e6;
  return nlohmann::json{{"workers", workers},
                        {"queue_depth_at_start", depth},
                        {"jobs", t.accepted},
                        {"delivered", t.delivered},
                        {"first_email_s", NumberOrNull(first_s)},
                        {"drained_s", NumberOrNull(drained_s)},
                        {"drain_rate_jobs_s", NumberOrNull(t.delivered / drained_s)}};
}

}  // namespace

Result<PartFigures> HerokuScaling(HerokuHosts& hosts, bool quick) {
  const int64_t jobs = quick ? 30 : 100;
  const double wait_s = quick ? 3 : 10;
  // The burst must find an empty queue: the running worker first finishes what came before.
  for (int waited_ms = 0; QueueDepth(hosts.RedisUrl()) > 0 && waited_ms < 120000;
       waited_ms += 250) {
    Sleep(0.25);
  }
  hosts.StopWorkers();
  Log("heroku: scaling, worker=0 then 1 then 2 ({} jobs each)", jobs);
  PostPlan plan{hosts.WebUrl(false), "scale-1-", 30, jobs, 0, 4};
  std::vector<Posted> first_burst = PostJobs(plan);
  Sleep(wait_s);
  int64_t depth0 = QueueDepth(hosts.RedisUrl());
  auto inbox0 = InboxByRequestId(hosts.MailUrl());
  if (!inbox0.ok()) return inbox0.status();
  Tally t0 = Count(first_burst, *inbox0);
  nlohmann::json fig;
  fig["worker_0"] = {{"jobs", t0.accepted},
                     {"queue_depth", depth0},
                     {"emails", t0.delivered},
                     {"waited_s", wait_s}};
  auto step1 = DrainStep(hosts, first_burst, 1, quick);
  if (!step1.ok()) return step1.status();
  fig["worker_1"] = *step1;
  plan.prefix = "scale-2-";
  std::vector<Posted> second_burst = PostJobs(plan);
  Sleep(1);
  auto step2 = DrainStep(hosts, second_burst, 2, quick);
  if (!step2.ok()) return step2.status();
  fig["worker_2"] = *step2;
  double r1 = NumberAt(*step1, "drain_rate_jobs_s"), r2 = NumberAt(*step2, "drain_rate_jobs_s");
  fig["speedup_2_over_1"] = NumberOrNull(r2 / r1);
  auto row = [](const nlohmann::json& s) {
    return fmt::format("| worker={} | {} | {} | {} | {} s | {} s | {:.1f} |\n",
                       s["workers"].get<int>(), s["jobs"].get<int64_t>(),
                       s["queue_depth_at_start"].get<int64_t>(), s["delivered"].get<int64_t>(),
                       Secs(NumberAt(s, "first_email_s")), Secs(NumberAt(s, "drained_s")),
                       NumberAt(s, "drain_rate_jobs_s"));
  };
  std::string md = fmt::format(
      "### Scaling the worker app (the lesson's `heroku ps:scale worker=N`)\n\n"
      "worker=0: {} jobs accepted, {} s later the queue in redistogo holds **{}** and **{}** "
      "emails came. Then the same backlog is drained by one worker process on app-two ({} "
      "thread(s) each), and an equal burst by two:\n\n"
      "| step | jobs | queue depth at start | delivered | first email after start | all "
      "delivered after start | drain rate (jobs/s) |\n|---|---|---|---|---|---|---|\n",
      t0.accepted, wait_s, depth0, t0.delivered, hosts.worker_concurrency());
  md += row(*step1) + row(*step2);
  md += fmt::format(
      "\nworker=2 drains {:.2f}× as fast as worker=1 (machine shared with other "
      "work; two cores in all).\n\n",
      r2 / r1);
  return PartFigures{md, fig};
}

std::string HerokuPartitionIntro(bool quick) {
  PartitionTimes t = TimesFor(quick);
  return fmt::format(
      "### Partitions\n\nEach run posts {} jobs/s to app-one for {} s with one worker on "
      "app-two; {} s in, two hosts are cut apart for {} s (every IPv4 packet between them "
      "dropped silently both ways: no RST, no ICMP), then healed. Delivered is counted from "
      "provider's inbox by X-Request-Id; recovery is the time from healing until the cut path "
      "worked again (first email after healing; for web_redis, the first accepted response).\n\n"
      "| partition | sent | accepted | 503 (slowest, ms) | delivered | lost | duplicated | "
      "emails during the cut | recovery (s) | all emails by (s after healing) | packets dropped "
      "|\n|---|---|---|---|---|---|---|---|---|---|---|\n",
      kPostRateRps, t.run_s, t.cut_at_s, t.cut_s);
}

namespace {

struct CutWindow {
  int64_t cut_us = 0, heal_us = 0;
  int64_t dropped = 0;
};

nlohmann::json PartitionJson(const Tally& t, const CutWindow& w, double recovery_s, double all_s,
                             int64_t during) {
  return {{"sent", t.sent},
          {"accepted", t.accepted},
          {"delivered", t.delivered},
          {"lost", t.lost},
          {"duplicated", t.duplicated},
          {"recovery_s", NumberOrNull(recovery_s)},
          {"rejected_503", t.rejected_503},
          {"other_failures", t.other_failures},
          {"max_503_ms", t.max_503_ms},
          {"unaccepted_delivered", t.unaccepted_delivered},
          {"emails_during_cut", during},
          {"all_delivered_after_heal_s", NumberOrNull(all_s)},
          {"cut_s", (w.heal_us - w.cut_us) / 1e6},
          {"packets_dropped", w.dropped}};
}

}  // namespace

Result<PartFigures> HerokuPartition(HerokuHosts& hosts, const PartitionSpec& spec, bool quick) {
  PartitionTimes times = TimesFor(quick);
  Network& net = hosts.network();
  Log("heroku: partition {} ({} | {})", spec.name, spec.a, spec.b);
  PostPlan plan{hosts.WebUrl(false), "cut-" + spec.name + "-", kPostRateRps, 0, times.run_s, 4};
  std::vector<Posted> posted;
  std::thread poster([&] { posted = PostJobs(plan); });
  CutWindow w;
  Sleep(times.cut_at_s);
  Status cut = net.Partition(spec.a, spec.b);
  w.cut_us = WallMicros();
  if (cut.ok()) Sleep(times.cut_s);
  w.dropped = net.Dropped(spec.a) + net.Dropped(spec.b);
  Status healed = net.Heal(spec.a, spec.b);
  w.heal_us = WallMicros();
  poster.join();
  if (!cut.ok()) return cut;
  if (!healed.ok()) return healed;
  auto inbox = WaitForEmails(hosts.MailUrl(), posted, times.drain_timeout_ms);
  if (!inbox.ok()) return inbox.status();
  Tally t = Count(posted, *inbox);
  std::vector<std::string> lost;
  for (const auto& p : posted) {
    if (Accepted(p.status) && inbox->find(p.id) == inbox->end()) lost.push_back(p.id);
  }
  int64_t during = 0, first_after = 0, last = 0;
  for (const auto& p : posted) {
    auto found = inbox->find(p.id);
    if (found == inbox->end()) continue;
    for (int64_t at : found->second) {
      if (at >= w.cut_us && at < w.heal_us) ++during;
      if (at >= w.heal_us && (first_after == 0 || at < first_after)) first_after = at;
      if (Accepted(p.status)) last = std::max(last, at);
    }
  }
  double recovery_s = first_after ? (first_after - w.heal_us) / 1e6 : NAN;
  if (spec.recovery_by_response) {
    recovery_s = NAN;
    for (const auto& p : posted) {
      if (p.sent_us >= w.heal_us && Accepted(p.status)) {
        recovery_s = (p.done_us - w.heal_us) / 1e6;
        break;
      }
    }
  }
  double all_s = last > w.heal_us ? (last - w.heal_us) / 1e6 : 0;
  std::string md =
      fmt::format("| {} | {} | {} | {} ({:.0f}) | {} | {} | {} | {} | {} | {} | {} |\n", spec.name,
                  t.sent, t.accepted, t.rejected_503, t.max_503_ms, t.delivered, t.lost,
                  t.duplicated, during, Secs(recovery_s), Secs(all_s), w.dropped);
  Log("heroku: {}: sent {} accepted {} delivered {} lost {} duplicated {} recovery {} s", spec.name,
      t.sent, t.accepted, t.delivered, t.lost, t.duplicated, Secs(recovery_s));
  nlohmann::json figures = PartitionJson(t, w, recovery_s, all_s, during);
  if (!lost.empty()) {
    figures["lost_where"] = WhereInRedis(hosts.RedisUrl(), lost);
    Log("heroku: {}: the lost jobs are in Redis at {}", spec.name, figures["lost_where"].dump());
  }
  return PartFigures{md, figures};
}

}  // namespace fib::bench
