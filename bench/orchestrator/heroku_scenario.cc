// The heroku scenario (docs/heroku.md): the lesson's two apps, RedisToGo and the mail provider on
// separate network hosts; the lesson's numbers across them, its scaling story (worker=0, 1, 2),
// and three partitions that loopback cannot show.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <sstream>
#include <thread>

#include "bench/orchestrator/heroku_hosts.h"
#include "bench/orchestrator/heroku_phases.h"
#include "bench/orchestrator/loadgen_run.h"
#include "bench/orchestrator/scenarios.h"
#include "common/log.h"
#include "workers/profiles/profile.h"

namespace fib::bench {

namespace {

constexpr char kNoDelay[] =
    "No network delay is applied: this kernel has no netem qdisc, so the hosts talk over a "
    "bridge as fast as loopback; the figures show what separate hosts, addresses, TLS and "
    "partitions do, not a real network's latency.";

bool Wanted(const BenchOptions& o, const std::string& part) {
  if (o.heroku_only.empty()) return true;
  std::string list = "," + o.heroku_only + ",";
  return list.find("," + part + ",") != std::string::npos;
}

std::string BindingsSection(const std::vector<Listener>& listeners, HerokuHosts& hosts,
                            nlohmann::json* figures) {
  std::string md = "| host | address | listens on |\n|---|---|---|\n";
  bool ok = !listeners.empty();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& l : listeners) {
    bool own = l.address == hosts.network().Address(l.host);
    ok = ok && own;
    md += fmt::format("| {} | {} | {}:{}{} |\n", l.host, hosts.network().Address(l.host), l.address,
                      l.port, own ? "" : " **not its address**");
    list.push_back({{"host", l.host}, {"address", l.address}, {"port", l.port}});
  }
  (*figures)["bindings"] = {{"ok", ok}, {"listeners", list}};
  return md + (ok ? "\nEvery service listens only on its host's address (no 0.0.0.0, no "
                    "loopback).\n\n"
                  : "\n**WARNING: a service listens beyond its given address.**\n\n");
}

// The hosts table and the settings both apps get.
PartFigures TopologySection(HerokuHosts& hosts) {
  Network& net = hosts.network();
  nlohmann::json fig = {{"run_id", net.id()}, {"subnet", net.Subnet()}, {"delay_applied", false}};
  std::string md = fmt::format(
      "Hosts are network namespaces on one bridge ({}); the load generator runs on the machine "
      "(bridge address {}). {}\n\n| host | address | runs |\n|---|---|---|\n",
      net.Subnet(), net.Address(""), kNoDelay);
  for (const auto& [host, runs] : std::vector<std::pair<std::string, std::string>>{
           {"app-one",
            "fibtastic-web --mode background on :3000 (and the inline variant on :3001)"},
           {"app-two", "the forked app, web=0: fibtastic-worker processes"},
           {"redistogo", "redis-server with requirepass, on :6379"},
           {"provider", "fibtastic-mailsink on :587, AUTH PLAIN and STARTTLS required"}}) {
    md += fmt::format("| {} | {} | {} |\n", host, net.Address(host), runs);
    fig["hosts"][host] = net.Address(host);
  }
  md += "\nBoth apps get `REDISTOGO_URL=redis://:***@" + net.Address("redistogo") +
        ":6379/0` and `REDIS_PROVIDER=REDISTOGO_URL`, and `SMTP_URL=smtp://fibmaster:***@" +
        net.Address("provider") + ":587` with a throwaway CA made for this run.\n\n";
  return {md, fig};
}

// One variant of the lesson from the machine to app-one: its table row and figures.
Result<PartFigures> LessonRun(HerokuHosts& hosts, const BenchOptions& options,
                              const std::string& dir, bool inline_mode) {
  const bool q = options.quick;
  LoadgenSpec spec;
  spec.label = inline_mode ? "heroku-inline" : "heroku-background";
  spec.url = hosts.WebUrl(inline_mode) + "/sequences";
  spec.body = "email=user{n}%40example.com&sequence_length=10";
  spec.rate_rps = 2;
  spec.duration_s = q ? 5 : 20;
  spec.connections = options.web_threads;
  spec.mail_url = hosts.MailUrl();
  spec.drain_s = q ? 5 : 10;
  Log("heroku: lesson, {} variant", inline_mode ? "inline" : "background");
  auto run = RunLoadgen(spec, options.bin_dir, dir);
  if (!run.ok()) return run.status();
  const auto& r = run->report;
  double enqueue = NAN;
  if (r.contains("summary") && r["summary"].contains("server_timing_ms") &&
      r["summary"]["server_timing_ms"].contains("enqueue")) {
    enqueue = NumberAt(r["summary"]["server_timing_ms"]["enqueue"], "p50");
  }
  nlohmann::json m = {{"p50_ms", NumberOrNull(SummaryValue(r, "latency_ms", "p50"))},
                      {"p99_ms", NumberOrNull(SummaryValue(r, "latency_ms", "p99"))},
                      {"email_p50_ms", NumberOrNull(SummaryValue(r, "e2e_ms", "p50"))},
                      {"email_p99_ms", NumberOrNull(SummaryValue(r, "e2e_ms", "p99"))},
                      {"requests", NumberOrNull(SummaryValue(r, "", "requests"))},
                      {"errors", NumberOrNull(SummaryValue(r, "", "errors"))},
                      {"emails_missing", NumberOrNull(SummaryValue(r, "e2e", "missing"))}};
  if (!inline_mode) m["enqueue_p50_ms"] = NumberOrNull(enqueue);
  std::string row = fmt::format(
      "| {} | {} / {} | {} | {} / {} | {} / {} / {} |\n", inline_mode ? "inline" : "background",
      Ms(SummaryValue(r, "latency_ms", "p50")), Ms(SummaryValue(r, "latency_ms", "p99")),
      inline_mode ? "—" : Ms(enqueue), Ms(SummaryValue(r, "e2e_ms", "p50")),
      Ms(SummaryValue(r, "e2e_ms", "p99")), SummaryValue(r, "", "requests"),
      SummaryValue(r, "", "errors"), SummaryValue(r, "e2e", "missing"));
  return PartFigures{row, m};
}

Result<PartFigures> LessonAcrossHosts(HerokuHosts& hosts, const BenchOptions& options,
                                      const std::string& dir) {
  nlohmann::json fig;
  std::string rows;
  for (bool inline_mode : {true, false}) {
    auto run = LessonRun(hosts, options, dir, inline_mode);
    if (!run.ok()) return run.status();
    rows += run->first;
    fig[inline_mode ? "inline" : "background"] = run->second;
  }
  std::string md = fmt::format(
      "### The lesson across hosts\n\nThe lesson profile at {} req/s for {} s per variant, from "
      "the machine to app-one, one worker process with {} threads on app-two; each email joined "
      "back from provider's inbox by X-Request-Id.\n\n| variant | response p50 / p99 (ms) | "
      "enqueue p50 (ms) | time to email "
      "p50 / p99 (ms) | requests / errors / emails missing |\n|---|---|---|---|---|\n{}\n",
      2, options.quick ? 5 : 20, options.worker_concurrency, rows);
  return PartFigures{md, fig};
}

const std::vector<PartitionSpec>& Partitions() {
  static const std::vector<PartitionSpec> partitions = {
      {"worker_redis", "app-two", "redistogo",
       "app-two cut from redistogo: the worker must notice within its Redis timeouts, lose "
       "nothing, and resume by itself after healing",
       false},
      {"web_redis", "app-one", "redistogo",
       "app-one cut from redistogo: the web must answer 503 within its Redis timeouts and never "
       "a false success",
       true},
      {"worker_provider", "app-two", "provider",
       "app-two cut from provider: sends fail within the worker's SMTP timeout, jobs retry, and "
       "every email arrives after healing",
       false}};
  return partitions;
}

// The partitions --heroku-only wants, each with one worker on app-two; "" when none ran.
Result<PartFigures> PartitionRuns(HerokuHosts& hosts, const BenchOptions& options) {
  std::string rows, notes;
  nlohmann::json fig = nlohmann::json::object();
  bool started = false;
  for (const auto& p : Partitions()) {
    if (!Wanted(options, p.name)) continue;
    if (!started) {  // one worker with one thread, whatever ran before
      hosts.StopWorkers();
      if (Status s = hosts.StartWorkers(1); !s.ok()) return s;
      started = true;
    }
    auto result = HerokuPartition(hosts, p, options.quick);
    if (!result.ok()) return result.status();
    rows += result->first;
    notes += "- `" + p.name + "`: " + p.what + ".\n";
    fig[p.name] = result->second;
  }
  if (rows.empty()) return PartFigures{"", fig};
  return PartFigures{HerokuPartitionIntro(options.quick) + rows + "\n" + notes + "\n", fig};
}

Section Skipped(Section section) {
  std::string why =
      "skipped: the heroku scenario needs root (it creates network namespaces, a bridge and tc "
      "filters); run it as root, e.g. sudo make bench SCENARIO=heroku";
  Log("heroku: {}", why);
  section.markdown = "**" + why + ".**\n";
  section.figures["skipped"] = why;
  return section;
}

}  // namespace

Result<Section> Scenarios::Heroku() {
  Section section{"heroku", "Heroku topology: two apps, RedisToGo and a provider on separate hosts",
                  "", nlohmann::json::object()};
  if (!HaveNetAdmin()) return Skipped(std::move(section));
  auto profile = LoadProfile("lesson", options_.profiles_dir);
  if (!profile.ok()) return profile.status();
  const std::string dir = Dir("heroku");
  HerokuOptions ho;
  ho.bin_dir = options_.bin_dir;
  ho.profiles_dir = options_.profiles_dir;
  ho.log_dir = dir + "/logs";
  ho.mail_delay_ms = profile->mail_delay_ms;
  ho.web_threads = options_.web_threads;
  HerokuHosts hosts(ho);
  // Ctrl-C reaches the network through a Stack handle: KillAll removes namespaces too.
  StackOptions so;
  so.log_dir = ho.log_dir;
  so.on_destroy = [this] { watcher_(nullptr); };
  so.on_kill = [&hosts] { hosts.KillAll(); };
  auto handle = std::make_unique<Stack>(so);
  watcher_(handle.get());
  if (Status s = hosts.Start(); !s.ok()) return s;
  if (Status s = hosts.StartWorkers(1, options_.worker_concurrency); !s.ok()) return s;
  nlohmann::json& fig = section.figures;
  auto [md, network] = TopologySection(hosts);
  fig["network"] = network;
  md += "### Listening sockets\n\n" + BindingsSection(hosts.Listeners(), hosts, &fig);
  if (Wanted(options_, "lesson")) {
    auto lesson = LessonAcrossHosts(hosts, options_, dir);
    if (!lesson.ok()) return lesson.status();
    md += lesson->first;
    fig["lesson"] = lesson->second;
  }
  if (Wanted(options_, "scaling")) {
    auto scaled = HerokuScaling(hosts, options_.quick);
    if (!scaled.ok()) return scaled.status();
    md += scaled->first;
    fig["scaling"] = scaled->second;
  }
  auto cuts = PartitionRuns(hosts, options_);
  if (!cuts.ok()) return cuts.status();
  md += cuts->first;
  if (!cuts->second.empty()) fig["partitions"] = cuts->second;
  hosts.Stop();
  md +=
      "Afterwards every namespace, veth, the bridge, every process and the secrets folder "
      "were removed (also on Ctrl-C or failure).\n";
  section.markdown = md;
  return section;
}

}  // namespace fib::bench
