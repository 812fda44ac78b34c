// Interop with the real Ruby Sidekiq 6.4 (Debian ruby-sidekiq): jobs Ruby pushes decode and fetch
// here; what we push, heartbeat, retry and kill is what Sidekiq's API (and so its Web UI) reads.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"
#include "workers/queue/job_payload.h"
#include "workers/queue/redis_job_queue.h"

namespace fib {
namespace {

using Json = nlohmann::json;
using test::RedisServer;

// Runs a Ruby snippet with sidekiq/api loaded against `redis`; returns the JSON it prints last.
Json RunRuby(const RedisServer& redis, const std::string& body) {
  std::string script =
      "Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)\n" + body;
  std::string output;
  int code = test::RunCommand({"ruby", "-rjson", "-rsidekiq", "-rsidekiq/api", "-e", script},
                              &output, 60000, {{"REDIS_URL", redis.url()}});
  INFO("ruby output:\n" << output);
  REQUIRE(code == 0);
  size_t last_line = output.find_last_of('\n', output.size() >= 2 ? output.size() - 2 : 0);
  std::string line = last_line == std::string::npos ? output : output.substr(last_line + 1);
  Json parsed = Json::parse(line, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  return parsed;
}

RedisQueueOptions Options(const RedisServer& redis, std::string identity = "") {
  RedisQueueOptions options;
  options.url = redis.url();
  options.identity = std::move(identity);
  return options;
}

TEST_CASE("A job Ruby Sidekiq pushes decodes and is fetchable") {
  RedisServer redis;
  Json pushed = RunRuby(redis, R"rb(
jid = Sidekiq::Client.push('class' => 'SequenceEmailWorker', 'args' => ['a@example.com', 5])
puts({jid: jid}.to_json)
)rb");
  RedisJobQueue queue(Options(redis, "host:1:0000000000aa"));
  auto job = queue.Fetch({"default"}, 1000);
  REQUIRE(job.ok());
  REQUIRE(job->has_value());
  auto payload = DecodePayload((*job)->raw);
  REQUIRE(payload.ok());
  CHECK(payload->class_name == "SequenceEmailWorker");
  CHECK(payload->args == Json::array({"a@example.com", 5}));
  CHECK(payload->jid == pushed["jid"]);
  CHECK(payload->MaxRetries() == 25);
  REQUIRE(payload->enqueued_at.has_value());
  CHECK(std::abs(*payload->enqueued_at - SystemClock::Default()->NowSeconds()) < 120);
  CHECK(queue.Ack(**job).ok());
}

TEST_CASE("A job we push is what Sidekiq::Queue reads, with a sane latency") {
  RedisServer redis;
  RedisJobQueue queue(Options(redis));
  JobPayload payload = NewJobPayload("SequenceEmailWorker", Json::array({"b@example.com", 7}),
                                     *SystemClock::Default());
  payload.enqueued_at = SystemClock::Default()->NowSeconds();
  payload.request_id = "req-1";
  REQUIRE(queue.Push("default", EncodePayload(payload)).ok());
  Json seen = RunRuby(redis, R"rb(
q = Sidekiq::Queue.new
job = q.first
puts({size: q.size, klass: job.klass, args: job.args, jid: job.jid, latency: q.latency,
      request_id: job['request_id'], queues: Sidekiq::Queue.all.map(&:name)}.to_json)
)rb");
  CHECK(seen["size"] == 1);
  CHECK(seen["klass"] == "SequenceEmailWorker");
  CHECK(seen["args"] == Json::array({"b@example.com", 7}));
  CHECK(seen["jid"] == payload.jid);
  CHECK(seen["request_id"] == "req-1");
  CHECK(seen["queues"] == Json::array({"default"}));
  CHECK(seen["latency"].get<double>() >= 0.0);
  CHECK(seen["latency"].get<double>() < 30.0);
}

TEST_CASE("Sidekiq::ProcessSet and Stats read our heartbeat") {
  RedisServer redis;
  const std::string id = "testhost:4321:abcdefabcdef";
  RedisJobQueue queue(Options(redis, id));
  ProcessInfo process;
  process.identity = id;
  process.hostname = "testhost";
  process.pid = 4321;
  process.concurrency = 3;
  process.queues = {"default", "low"};
  process.started_at = SystemClock::Default()->NowSeconds();
  process.busy = 1;
  std::string raw = EncodePayload(
      NewJobPayload("SequenceEmailWorker", Json::array({"c@x.y", 3}), *SystemClock::Default()));
  double now = SystemClock::Default()->NowSeconds();
  REQUIRE(
      queue.Heartbeat(process, {{"tid-7", "default", raw, static_cast<int64_t>(now)}}, 5, 2, now)
          .ok());
  Json seen = RunRuby(redis, R"rb(
ps = Sidekiq::ProcessSet.new
p = ps.first
stats = Sidekiq::Stats.new
work = []
Sidekiq::Workers.new.each { |pkey, tid, w| work << {tid: tid, queue: w['queue'], klass: w['payload']['class']} }
puts({size: ps.size, identity: p['identity'], busy: p['busy'], queues: p['queues'],
      concurrency: p['concurrency'], quiet: p.stopping?, processed: stats.processed,
      failed: stats.failed, workers: work}.to_json)
)rb");
  CHECK(seen["size"] == 1);
  CHECK(seen["identity"] == id);
  CHECK(seen["busy"] == 1);
  CHECK(seen["queues"] == Json::array({"default", "low"}));
  CHECK(seen["concurrency"] == 3);
  CHECK(seen["quiet"] == false);
  CHECK(seen["processed"] == 5);
  CHECK(seen["failed"] == 2);
  REQUIRE(seen["workers"].size() == 1);
  CHECK(seen["workers"][0]["tid"] == "tid-7");
  CHECK(seen["workers"][0]["klass"] == "SequenceEmailWorker");
}

TEST_CASE("Sidekiq::RetrySet and DeadSet read what Retry and Kill wrote") {
  RedisServer redis;
  RedisJobQueue queue(Options(redis, "host:1:0000000000bb"));
  const Clock& clock = *SystemClock::Default();
  for (const char* who : {"retry@x.y", "dead@x.y"}) {
    JobPayload payload = NewJobPayload("SequenceEmailWorker", Json::array({who, 4}), clock);
    payload.enqueued_at = clock.NowSeconds();
    REQUIRE(queue.Push("default", EncodePayload(payload)).ok());
  }
  auto fail = [&](const FetchedJob& job, int retry_count) {
    JobPayload payload = *DecodePayload(job.raw);
    payload.error_class = "SmtpError";
    payload.error_message = "421 try later";
    payload.failed_at = clock.NowSeconds();
    payload.retry_count = retry_count;
    return EncodePayload(payload);
  };
  auto first = queue.Fetch({"default"}, 0);
  auto second = queue.Fetch({"default"}, 0);
  REQUIRE((first.ok() && first->has_value() && second.ok() && second->has_value()));
  double now = clock.NowSeconds();
  REQUIRE(queue.Retry(**first, fail(**first, 0), now + 20).ok());
  REQUIRE(queue.Kill(**second, fail(**second, 25), now).ok());
  Json seen = RunRuby(redis, R"rb(
r = Sidekiq::RetrySet.new.first
d = Sidekiq::DeadSet.new.first
puts({retry_size: Sidekiq::RetrySet.new.size, dead_size: Sidekiq::DeadSet.new.size,
      retry: {args: r.args, error_class: r['error_class'], error_message: r['error_message'],
              retry_count: r['retry_count'], in_s: (r.at - Time.now).to_f},
      dead: {args: d.args, error_class: d['error_class'], retry_count: d['retry_count']}}.to_json)
)rb");
  CHECK(seen["retry_size"] == 1);
  CHECK(seen["dead_size"] == 1);
  CHECK(seen["retry"]["args"][0] == "retry@x.y");
  CHECK(seen["retry"]["error_class"] == "SmtpError");
  CHECK(seen["retry"]["error_message"] == "421 try later");
  CHECK(seen["retry"]["retry_count"] == 0);
  CHECK(seen["retry"]["in_s"].get<double>() > 10);
  CHECK(seen["retry"]["in_s"].get<double>() <= 20.5);
  CHECK(seen["dead"]["args"][0] == "dead@x.y");
  CHECK(seen["dead"]["error_class"] == "SmtpError");
  CHECK(seen["dead"]["retry_count"] == 25);
}

}  // namespace
}  // namespace fib
