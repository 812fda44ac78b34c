// Interop with Ruby Sidekiq 6.4 (Debian ruby-sidekiq): jobs Ruby pushes run in fibtastic-worker,
// and Sidekiq's own API (ProcessSet, Workers, Stats, RetrySet, quiet!/stop!) sees and controls it.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "common/text.h"
#include "tests/support/ports.h"
#include "tests/support/worker_fixture.h"

using namespace fib;
using namespace fib::test;

namespace {

// Runs Ruby with sidekiq loaded against `redis`; returns the JSON the code prints after "RESULT=".
nlohmann::json Ruby(const RedisServer& redis, const std::string& code) {
  std::string script =
      "require 'sidekiq'; require 'sidekiq/api'; require 'json'\n"
      "Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)\n"
      "Sidekiq.logger.level = Logger::WARN\n" +
      code;
  std::string output;
  int code_rc = RunCommand({"ruby", "-e", script}, &output, 60000,
                           {{"REDIS_URL", redis.url()}, {"REDIS_PROVIDER", ""}});
  INFO("ruby output:\n" << output);
  REQUIRE(code_rc == 0);
  size_t at = output.rfind("RESULT=");
  REQUIRE(at != std::string::npos);
  size_t end = output.find('\n', at);
  return nlohmann::json::parse(
      output.substr(at + 7, end == std::string::npos ? end : end - at - 7));
}

std::string Identity(const RedisServer& redis) { return redis.Cli({"SMEMBERS", "processes"}); }

}  // namespace

TEST_CASE("jobs pushed with Sidekiq::Client.push run in our worker", "[worker][ruby]") {
  RedisServer redis;
  MailSink sink;
  auto worker = StartWorker(redis, sink.smtp_url(), {"-q", "default", "-q", "mail"});
  nlohmann::json jids = Ruby(redis, R"(
    a = Sidekiq::Client.push('class' => 'SequenceEmailWorker', 'args' => ['ruby@example.com', 12],
                             'request_id' => 'from-ruby')
    b = Sidekiq::Client.push('class' => 'SequenceEmailWorker', 'queue' => 'mail',
                             'args' => ['ruby2@example.com', '9'])
    c = Sidekiq::Client.push('class' => 'SequenceEmailWorker', 'args' => ['later@example.com', 3],
                             'at' => Time.now.to_f + 1)
    puts "RESULT=" + JSON.dump([a, b, c]))");
  nlohmann::json messages = sink.WaitForMessages(3, 20000);
  REQUIRE(messages.size() == 3);
  std::map<std::string, nlohmann::json> by_jid;
  for (const auto& m : messages) by_jid[m["job_id"].get<std::string>()] = m;
  REQUIRE(by_jid.count(jids[0]) == 1);
  CHECK(by_jid[jids[0]]["request_id"] == "from-ruby");
  CHECK(by_jid.count(jids[1]) == 1);  // the 'mail' queue, with a string length as Rails sends
  CHECK(by_jid.count(jids[2]) == 1);  // scheduled by Ruby, moved by our poller
  CHECK(worker->Stop(10000) == 0);
}

TEST_CASE("Sidekiq's API sees our process, its busy jobs and its counters", "[worker][ruby]") {
  RedisServer redis;
  MailSink slow_sink({"--delay-ms", "3000"});
  auto worker = StartWorker(redis, slow_sink.smtp_url(),
                            {"-c", "3", "-q", "default", "-q", "mail", "--tag", "interop"});
  std::string identity = Identity(redis);
  REQUIRE(!identity.empty());
  nlohmann::json jid = Ruby(redis, R"(
    puts "RESULT=" + JSON.dump(Sidekiq::Client.push('class' => 'SequenceEmailWorker',
                                                    'args' => ['busy@example.com', 8])))");
  REQUIRE(WaitForValue([&] { return redis.Cli({"HGET", identity, "busy"}); }, "1", 5000));
  nlohmann::json seen = Ruby(redis, R"(
    procs = Sidekiq::ProcessSet.new.to_a
    p = procs.first
    works = []
    Sidekiq::Workers.new.each { |process_id, thread_id, work|
      works << [process_id, work['queue'], work['payload']['jid'], work['run_at'].class.name] }
    puts "RESULT=" + JSON.dump('size' => procs.size, 'identity' => p['identity'],
      'busy' => p['busy'], 'queues' => p['queues'], 'tag' => p['tag'],
      'concurrency' => p['concurrency'], 'quiet' => p['quiet'], 'rss' => p['rss'],
      'stopping' => p.stopping?, 'works' => works))");
  CHECK(seen["size"] == 1);
  CHECK(seen["identity"] == identity);
  CHECK(seen["busy"] == 1);
  CHECK(seen["queues"] == nlohmann::json({"default", "mail"}));
  CHECK(seen["tag"] == "interop");
  CHECK(seen["concurrency"] == 3);
  CHECK(seen["quiet"] == "false");
  CHECK(seen["stopping"] == false);
  CHECK(seen["rss"].get<int64_t>() > 0);
  REQUIRE(seen["works"].size() == 1);
  CHECK(seen["works"][0] == nlohmann::json({identity, "default", jid, "Integer"}));

  REQUIRE(slow_sink.WaitForMessages(1, 20000).size() == 1);
  REQUIRE(WaitForValue([&] { return redis.Cli({"HGET", identity, "busy"}); }, "0", 5000));
  nlohmann::json stats = Ruby(redis, R"(
    s = Sidekiq::Stats.new
    puts "RESULT=" + JSON.dump([s.processed, s.failed, s.processes_size, s.workers_size]))");
  CHECK(stats == nlohmann::json({1, 0, 1, 0}));
  CHECK(worker->Stop(10000) == 0);
}

TEST_CASE("Ruby's quiet! and stop! control our worker; RetrySet reads our failures",
          "[worker][ruby]") {
  RedisServer redis;
  MailSink sink;
  auto worker = StartWorker(redis, sink.smtp_url(), {"-c", "2"});
  std::string identity = Identity(redis);
  nlohmann::json failed = Ruby(redis, R"(
    puts "RESULT=" + JSON.dump(Sidekiq::Client.push('class' => 'GhostWorker', 'args' => [1])))");
  REQUIRE(WaitForValue([&] { return redis.Cli({"ZCARD", "retry"}); }, "1", 10000));
  nlohmann::json retry = Ruby(redis, R"(
    e = Sidekiq::RetrySet.new.first
    puts "RESULT=" + JSON.dump([e.jid, e['error_class'], e['retry_count'], e.klass, e.queue]))");
  CHECK(retry == nlohmann::json({failed, "UnknownJobClassError", 0, "GhostWorker", "default"}));

  Ruby(redis, "Sidekiq::ProcessSet.new.each(&:quiet!)\nputs 'RESULT=1'");
  REQUIRE(WaitForLog(*worker, "remote signal TSTP received", 5000));
  REQUIRE(WaitForValue([&] { return redis.Cli({"HGET", identity, "quiet"}); }, "true", 5000));
  nlohmann::json quiet = Ruby(redis, R"(
    Sidekiq::Client.push('class' => 'SequenceEmailWorker', 'args' => ['q@example.com', 4])
    sleep 2
    p = Sidekiq::ProcessSet.new.first
    puts "RESULT=" + JSON.dump([p['quiet'], p.stopping?, Sidekiq::Queue.new('default').size]))");
  CHECK(quiet == nlohmann::json({"true", true, 1}));  // quiet: the new job was not fetched
  CHECK(sink.Messages().empty());

  Ruby(redis, "Sidekiq::ProcessSet.new.each(&:stop!)\nputs 'RESULT=1'");
  CHECK(worker->Wait(10000) == 0);
  CHECK(CountInLog(*worker, "remote signal TERM received") == 1);
  nlohmann::json after = Ruby(redis, "puts 'RESULT=' + JSON.dump(Sidekiq::ProcessSet.new.size)");
  CHECK(after == 0);
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "1");  // still there for the next worker
}

// What Sidekiq's Web UI Busy page reads (docs/sidekiq-format.md, "Sidekiq's Web UI on our
// Redis"): the process under our default tag, and each running job in `<identity>:workers` in
// 6.4's exact shape: {"queue", "payload" (the job JSON as a string), "run_at" (integer seconds)}.
TEST_CASE("Busy's data: our default tag and the running job in Sidekiq 6.4's exact shape",
          "[worker][ruby][web-ui]") {
  RedisServer redis;
  MailSink slow_sink({"--delay-ms", "3000"});
  auto worker = StartWorker(redis, slow_sink.smtp_url());
  std::string identity = Identity(redis);
  auto pushed =
      Producer(redis)->Push("default", EncodePayload(SequenceJob("w@example.com", 6, "r1")));
  REQUIRE(pushed.ok());
  REQUIRE(WaitForValue([&] { return redis.Cli({"HLEN", identity + ":workers"}); }, "1", 5000));
  nlohmann::json seen = Ruby(redis, R"(
    p = Sidekiq::ProcessSet.new.first
    raw = Sidekiq.redis { |c| c.hgetall(p.identity + ':workers') }.values.first
    work = JSON.parse(raw)
    puts "RESULT=" + JSON.dump('tag' => p.tag, 'keys' => work.keys.sort,
      'payload_is_string' => work['payload'].is_a?(String), 'run_at' => work['run_at'],
      'run_at_class' => work['run_at'].class.name, 'queue' => work['queue'],
      'job' => JSON.parse(work['payload']), 'now' => Time.now.to_i))");
  CHECK(seen["tag"] == "fibtastic-worker");
  CHECK(seen["keys"] == nlohmann::json({"payload", "queue", "run_at"}));
  CHECK(seen["payload_is_string"] == true);
  CHECK(seen["run_at_class"] == "Integer");
  CHECK(seen["now"].get<int64_t>() - seen["run_at"].get<int64_t>() <= 5);
  CHECK(seen["queue"] == "default");
  CHECK(seen["job"]["args"] == nlohmann::json({"w@example.com", 6}));
  REQUIRE(slow_sink.WaitForMessages(1, 20000).size() == 1);
  // Finished: gone from Busy at the next beat.
  CHECK(WaitForValue([&] { return redis.Cli({"HLEN", identity + ":workers"}); }, "0", 5000));
  CHECK(worker->Stop(10000) == 0);
}

// The Web UI's Retries and Dead buttons call these API methods (RetrySet entries' retry, kill and
// delete; DeadSet entries' retry); our worker must act on what they leave.
TEST_CASE("Retry now, Kill, Delete and Dead's retry on our failed jobs", "[worker][ruby][web-ui]") {
  RedisServer redis;
  MailSink sink;
  sink.SetChaos({{"mail", {{"code", 451}}}});
  auto worker = StartWorker(redis, sink.smtp_url(), {"--retry-delay-scale", "10"});
  auto producer = Producer(redis);
  for (const char* name : {"again", "kill", "delete"}) {
    JobPayload job = SequenceJob(std::string(name) + "@example.com", 4, name);
    REQUIRE(producer->Push("default", EncodePayload(job)).ok());
  }
  REQUIRE(WaitForValue([&] { return redis.Cli({"ZCARD", "retry"}); }, "3", 10000));
  sink.SetChaos(nlohmann::json::object());
  Ruby(redis, R"(
    by_email = Sidekiq::RetrySet.new.to_a.group_by { |e| e.args.first }
    by_email['again@example.com'].first.retry
    by_email['kill@example.com'].first.kill
    by_email['delete@example.com'].first.delete
    puts 'RESULT=1')");
  nlohmann::json messages = sink.WaitForMessages(1, 10000);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0]["request_id"] == "again");
  std::this_thread::sleep_for(std::chrono::seconds(1));  // five polls: nothing else may move
  CHECK(redis.Cli({"ZCARD", "retry"}) == "0");
  CHECK(LocateJob(redis, "kill") == "dead");
  CHECK(LocateJob(redis, "delete") == "nowhere");
  CHECK(sink.Messages().size() == 1);
  Ruby(redis, "Sidekiq::DeadSet.new.each(&:retry)\nputs 'RESULT=1'");
  messages = sink.WaitForMessages(2, 10000);
  REQUIRE(messages.size() == 2);
  CHECK(messages[1]["request_id"] == "kill");
  CHECK(redis.Cli({"ZCARD", "dead"}) == "0");
  CHECK(worker->Stop(10000) == 0);
  CHECK(CountInLog(*worker, "jid=") == 5);  // 3 failures, 2 deliveries: "delete" never ran again
}

// scripts/sidekiq-web's usage rules (docs/sidekiq-format.md): bad usage exits 2 at once, naming
// the flag, before it waits for Redis (here unreachable, which alone would be exit 1 after 5 s).
TEST_CASE("scripts/sidekiq-web: bad usage exits 2 naming the flag; --help exits 0",
          "[ruby][web-ui]") {
  const std::string program = std::string(FIB_SOURCE_DIR) + "/scripts/sidekiq-web";
  std::map<std::string, std::string> env = {{"REDIS_URL", "redis://127.0.0.1:1/0"}, {"PORT", ""}};
  struct Case {
    std::vector<std::string> flags;
    std::string names;
  };
  for (const Case& c : std::vector<Case>{{{"--bind", "127.0.0.1/8"}, "--bind"},
                                         {{"--bind", "not-an-address"}, "--bind"},
                                         {{"--port", "0"}, "--port"},
                                         {{"--port", "65536"}, "--port"},
                                         {{"--redis-url", "http://127.0.0.1/"}, "--redis-url"},
                                         {{"--bogus"}, "--bogus"}}) {
    std::vector<std::string> argv = {program, "--port", "1"};
    argv.insert(argv.end(), c.flags.begin(), c.flags.end());
    std::string output;
    int rc = RunCommand(argv, &output, 30000, env);
    INFO(c.flags[0] << ": " << output);
    CHECK(rc == 2);
    CHECK(output.find(c.names) != std::string::npos);
  }
  std::string help;
  CHECK(RunCommand({program, "--help"}, &help, 30000) == 0);
  CHECK(help.find("--bind ADDRESS") != std::string::npos);
}

// A Redis that answers but refuses the password: exit 1 at once, saying so, and the password
// never printed (it waited the full 5 s and then said Redis "did not answer a PING").
TEST_CASE("scripts/sidekiq-web: a wrong Redis password fails at once, without printing it",
          "[ruby][web-ui]") {
  int port = FreePort();
  Subprocess redis({"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                    "--requirepass", "right-pw-5", "--save", "", "--appendonly", "no"});
  REQUIRE(WaitForPort(port, 10000));
  std::string output;
  int rc = RunCommand(
      {std::string(FIB_SOURCE_DIR) + "/scripts/sidekiq-web", "--port", std::to_string(FreePort())},
      &output, 30000,
      {{"REDIS_URL", "redis://:wrong-pw-7@127.0.0.1:" + std::to_string(port) + "/0"},
       {"REDIS_PROVIDER", ""}});
  INFO(output);
  CHECK(rc == 1);
  CHECK(output.find("refused us") != std::string::npos);
  CHECK(output.find("wrong-pw-7") == std::string::npos);
}
