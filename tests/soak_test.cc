// Soak: the whole stack — redis-server, fibtastic-mailsink, fibtastic-web in both variants
// (background and inline) and a fibtastic-worker — at a moderate steady rate for SOAK_SECONDS
// (default 60: the CI mode; `make soak` runs 600; units as the programs' flags: 10m, 90s). Every
// few seconds the RSS and open file descriptors of each process are sampled; after a warm-up (the
// first 20% of the run) each must stay within 10% of its post-warm-up baseline. Every accepted
// request's email must arrive. SOAK_RATE_RPS (per variant, default 10) sets the rate;
// SOAK_SAMPLES_CSV=FILE keeps all samples.
//
// The mail sink keeps messages in memory, so on its own it would grow with every email. It runs
// with a small ring (--max-messages) that fills during the warm-up; an InboxReader follows the
// inbox fast enough that nothing is dropped unread (gaps in the sink's ids are counted and fail
// the test). So the sink is judged by the same 10% rule, with its storage bounded by design.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "common/build_info.h"
#include "common/flags.h"
#include "common/text.h"
#include "tests/soak/flatness.h"
#include "tests/soak/inbox_reader.h"
#include "tests/soak/process_sampler.h"
#include "tests/support/mail_sink.h"
#include "tests/support/redis_server.h"
#include "tests/support/steady_sender.h"
#include "tests/support/web_app.h"
#include "tests/support/worker_process.h"

namespace fib::test {
namespace {

struct SoakPlan {
  double seconds = 60;
  double warmup_s = 12;
  double rate_rps = 10;  // per web variant; two variants run at once
  int sample_interval_ms = 2000;
  // More than the warm-up burst (2 x 5 x 20 messages at once; 100 dropped 3 unread on a CI run),
  // and full within ~5 s at 2 x 10 rps: the sink's memory plateaus before the warm-up ends.
  int sink_ring_messages = 300;
};

double EnvPositiveNumber(const char* name, double fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || value <= 0) {
    FAIL(name << " must be a positive number, got '" << text << "'");
  }
  return value;
}

// Reads a duration from the environment as the programs' duration flags do: "10m", "90s", or a
// bare number of seconds.
double EnvDurationSeconds(const char* name, double fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  fib::Result<double> seconds = fib::ParseDuration(text, 1, name);
  if (!seconds.ok() || *seconds <= 0) {
    FAIL(name << " must be a positive duration (e.g. 600, 90s, 10m): " << seconds.message());
  }
  return *seconds;
}

SoakPlan PlanFromEnv() {
  SoakPlan plan;
  plan.seconds = EnvDurationSeconds("SOAK_SECONDS", 60);
  // Sanitized programs are 2-15x slower: half the rate keeps the load "moderate" for them.
  plan.rate_rps = EnvPositiveNumber("SOAK_RATE_RPS", kSanitizedBuild ? 5 : 10);
  plan.warmup_s = plan.seconds * 0.2;
  // At least ~12 samples over the run, at most one every 5 s.
  plan.sample_interval_ms = static_cast<int>(std::clamp(plan.seconds * 1000 / 30, 1000.0, 5000.0));
  return plan;
}

// One connection to `port` at `rate_rps`, with a generous timeout (a shared CI box may stall for
// seconds). Sanitizer builds run the exponential job 10-50x slower; the soak is about memory and
// fds, so there it uses a cheap sequence length that still keeps the rate.
SteadySenderOptions SoakSender(int port, double rate_rps, std::string id_prefix) {
  return {.port = port,
          .rate_rps = rate_rps,
          .sequence_length = kSanitizedBuild ? 12 : 20,
          .id_prefix = std::move(id_prefix),
          .email_domain = "soak.example",
          .timeout_ms = 30000};
}

// redis-server's pid from INFO (RedisServer does not expose its Subprocess).
pid_t RedisPid(const RedisServer& redis) {
  std::smatch match;
  std::string info = redis.Cli({"INFO", "server"});
  REQUIRE(std::regex_search(info, match, std::regex("process_id:([0-9]+)")));
  return static_cast<pid_t>(std::stol(match[1]));
}

// Errors a healthy stack may still show on a shared 2-core CI box: a request stalled past the
// client's 30 s timeout by a machine-wide hiccup, or the rare 400 "request could not be read"
// seen on a heavily loaded box (not yet explained; printed with the web's log when it happens).
// max(1, 0.1%): a leak of connections or threads fails far more requests than that.
int64_t ErrorAllowance(int64_t sent) { return std::max<int64_t>(1, sent / 1000); }

void PrintTraffic(const char* name, const SenderResult& sent, const DeliveryCount& mail) {
  std::string statuses;
  for (const auto& [status, count] : sent.rejected_by_status) {
    statuses += fmt::format(" {}x{}", count, status);
  }
  std::printf("%-22s %8lld %8zu %8lld %8lld %8lld %6lld %8lld  %s\n", name,
              static_cast<long long>(sent.sent), sent.accepted_ids.size(),
              static_cast<long long>(mail.delivered),
              static_cast<long long>(mail.expected - mail.delivered),
              static_cast<long long>(mail.duplicates), static_cast<long long>(sent.errors()),
              static_cast<long long>(sent.max_lag_ms), statuses.c_str());
}

// Returns up to 40 lines of a web log that are not plain "POST /sequences 200" access lines.
std::string UnusualLogLines(const std::string& log) {
  std::istringstream lines(log);
  std::string line, out;
  for (int kept = 0; kept < 40 && std::getline(lines, line);) {
    if (line.find(" /sequences 200 ") != std::string::npos) continue;
    out += line + "\n";
    ++kept;
  }
  return out;
}

// Polls until every accepted request of both variants has its email, or timeout_ms passed.
void DrainEmails(const InboxReader& inbox, const std::vector<std::string>& a,
                 const std::vector<std::string>& b, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    DeliveryCount ca = inbox.Count(a), cb = inbox.Count(b);
    if (ca.delivered == ca.expected && cb.delivered == cb.expected) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// Sleeps for the run, printing one progress line a minute (long runs should not look hung).
void RunFor(const SoakPlan& plan, const InboxReader& inbox) {
  auto start = std::chrono::steady_clock::now();
  auto end = start + std::chrono::duration<double>(plan.seconds);
  auto next_note = start + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (std::chrono::steady_clock::now() >= next_note) {
      next_note += std::chrono::seconds(60);
      double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf("soak: %.0f s of %.0f s, %lld emails so far\n", t, plan.seconds,
                  static_cast<long long>(inbox.emails_read()));
      std::fflush(stdout);
    }
  }
}

// The stack under test, started in dependency order and stopped in reverse.
struct SoakStack {
  explicit SoakStack(const SoakPlan& plan)
      : sink({"--max-messages", std::to_string(plan.sink_ring_messages)}),
        background({"--mode", "background", "--redis-url", redis.url()}),
        inline_web({"--mode", "inline", "--smtp-url", sink.smtp_url()}),
        worker(StartWorker({.redis_url = redis.url(),
                            .smtp_url = sink.smtp_url(),
                            .test_intervals = false,
                            .flags = {"-c", "5"}})) {}
  void WatchAll(ProcessSampler* sampler) {
    sampler->Watch("redis-server", RedisPid(redis));
    sampler->Watch("fibtastic-mailsink", sink.process().pid());
    sampler->Watch("web --mode background", background.process().pid());
    sampler->Watch("web --mode inline", inline_web.process().pid());
    sampler->Watch("fibtastic-worker", worker->pid());
  }
  RedisServer redis;
  MailSink sink;
  WebApp background;
  WebApp inline_web;
  std::unique_ptr<Subprocess> worker;
};

// What one web variant was sent and what its emails did.
struct VariantTraffic {
  const char* name;
  WebApp* web;
  SenderResult sent;
  DeliveryCount mail;
};

void PrintReport(const SoakPlan& plan, const std::vector<Flatness>& verdicts,
                 const std::vector<VariantTraffic>& traffic, const InboxReader& inbox) {
  std::printf(
      "\nsoak results (%.0f s, baseline = first sample at or after %.0f s; limits: RSS "
      "+10%%, fds +max(10%%, 3)):\n%s",
      plan.seconds, plan.warmup_s, FlatnessTable(verdicts).c_str());
  std::printf("\n%-22s %8s %8s %8s %8s %8s %6s %8s\n", "variant", "sent", "accepted", "emailed",
              "missing", "dupes", "errors", "lag max");
  for (const VariantTraffic& t : traffic) PrintTraffic(t.name, t.sent, t.mail);
  std::printf("mail sink: %lld emails read, %lld dropped unread, %lld poll errors\n",
              static_cast<long long>(inbox.emails_read()),
              static_cast<long long>(inbox.missed_by_gap()),
              static_cast<long long>(inbox.poll_errors()));
  if (kSanitizedBuild) {
    std::printf(
        "NOTE: sanitized build: the RSS check is skipped for our programs (ASan's "
        "quarantine and TSan's shadow memory grow by design); fds are still checked, "
        "and redis-server (not sanitized) is judged on both.\n");
  }
  std::fflush(stdout);
}

void CheckFlat(const std::vector<Flatness>& verdicts) {
  for (const Flatness& v : verdicts) {
    INFO(v.name << ": RSS " << v.baseline.rss_kb << " -> max " << v.max_rss_kb << " kB (limit "
                << v.rss_limit_kb << "), fds " << v.baseline.fds << " -> max " << v.max_fds
                << " (limit " << v.fd_limit << ")");
    REQUIRE(v.judged);
    CHECK(v.read_errors == 0);
    CHECK(v.fds_flat);
    if (!kSanitizedBuild || v.name == "redis-server") CHECK(v.rss_flat);
  }
}

// The load was real, errors stayed within the allowance, every accepted request's email
// arrived exactly once, and nothing is left queued, retrying or dead.
void CheckTraffic(const SoakPlan& plan, const std::vector<VariantTraffic>& traffic,
                  const InboxReader& inbox, const RedisServer& redis) {
  CHECK(inbox.missed_by_gap() == 0);  // else the sink's ring outran the reader: counts invalid
  CHECK(inbox.poll_errors() == 0);
  for (const VariantTraffic& t : traffic) {
    INFO(t.name << ": first error: " << t.sent.first_error);
    INFO("the web's log lines that are not 200s:\n" << UnusualLogLines(t.web->process().Log()));
    INFO("missing emails (first 20): " << fmt::format("{}", fmt::join(t.mail.missing, " ")));
    CHECK(t.sent.sent >= static_cast<int64_t>(plan.seconds * plan.rate_rps * 0.9));
    CHECK(t.sent.errors() <= ErrorAllowance(t.sent.sent));
    CHECK(t.mail.delivered == t.mail.expected);
    CHECK(t.mail.duplicates == 0);  // no faults injected: at-least-once never repeats here
  }
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "0");
  CHECK(redis.Cli({"ZCARD", "retry"}) == "0");
  CHECK(redis.Cli({"ZCARD", "dead"}) == "0");
}

TEST_CASE("soak: RSS and open fds of every process stay flat under steady load", "[soak]") {
  const SoakPlan plan = PlanFromEnv();
  std::printf(
      "soak: %.0f s at %.1f rps per variant (background + inline), warm-up %.0f s, "
      "sample every %d ms, sink ring %d messages, %s build%s\n",
      plan.seconds, plan.rate_rps, plan.warmup_s, plan.sample_interval_ms, plan.sink_ring_messages,
      BuildType().c_str(), kSanitizedBuild ? " (sanitized)" : "");
  std::fflush(stdout);
  SoakStack stack(plan);
  ProcessSampler sampler({plan.sample_interval_ms});
  stack.WatchAll(&sampler);
  InboxReader inbox({stack.sink.http_port()});
  std::string run = RandomHex(6);
  SteadySender bg_sender(SoakSender(stack.background.port(), plan.rate_rps, "soak-bg-" + run));
  SteadySender in_sender(SoakSender(stack.inline_web.port(), plan.rate_rps, "soak-in-" + run));
  sampler.Start();
  inbox.Start();
  // Warm-up burst: 5 connections at once per web (its --threads default) push 5 x 20 requests,
  // so every request thread, every worker thread (-c 5) and the SMTP connection each of them
  // keeps (libcurl, one per thread) exist before the baseline. Without it, a thread first used
  // late in a quiet run opens its connection then: +1-2 fds that are not a leak.
  std::vector<VariantTraffic> traffic = {
      {"web --mode background",
       &stack.background,
       SendBurst(SoakSender(stack.background.port(), 0, "soak-bg-" + run + "-burst"), 5, 20),
       {}},
      {"web --mode inline",
       &stack.inline_web,
       SendBurst(SoakSender(stack.inline_web.port(), 0, "soak-in-" + run + "-burst"), 5, 20),
       {}}};
  bg_sender.Start();
  in_sender.Start();
  RunFor(plan, inbox);
  bg_sender.Stop();
  in_sender.Stop();
  sampler.Stop();  // "end" is the end of the load, before the drain
  traffic[0].sent.Merge(bg_sender.Result());
  traffic[1].sent.Merge(in_sender.Result());
  DrainEmails(inbox, traffic[0].sent.accepted_ids, traffic[1].sent.accepted_ids, 30000);
  inbox.Stop();
  for (VariantTraffic& t : traffic) t.mail = inbox.Count(t.sent.accepted_ids);

  if (const char* csv = std::getenv("SOAK_SAMPLES_CSV"); csv != nullptr && *csv != '\0') {
    std::ofstream(csv) << SamplesCsv(sampler.series());
    std::printf("soak: samples written to %s\n", csv);
  }
  FlatnessLimits limits;
  limits.warmup_s = plan.warmup_s;
  std::vector<Flatness> verdicts;
  for (const ProcessSeries& series : sampler.series()) {
    verdicts.push_back(AssessFlatness(series, limits));
  }
  PrintReport(plan, verdicts, traffic, inbox);

  CHECK(stack.redis.Cli({"PING"}) == "PONG");
  for (Subprocess* p : {&stack.sink.process(), &stack.background.process(),
                        &stack.inline_web.process(), stack.worker.get()}) {
    INFO(p->Log().substr(0, 4000));
    CHECK(p->running());
  }
  CheckFlat(verdicts);
  CheckTraffic(plan, traffic, inbox, stack.redis);
}

}  // namespace
}  // namespace fib::test
