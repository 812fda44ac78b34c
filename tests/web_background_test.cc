// Integration tests of fibtastic-web --mode background against a real redis-server: the job is
// pushed in Sidekiq 6.4's format and the response does not wait for it. Then the whole path:
// web -> Redis -> fibtastic-worker -> mail sink, and web -> Redis -> Ruby Sidekiq.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/mail_sink.h"
#include "tests/support/polling.h"
#include "tests/support/redis_server.h"
#include "tests/support/tls_sink_files.h"
#include "tests/support/web_app.h"
#include "tests/support/worker_process.h"

namespace fib::test {
namespace {

constexpr char kThanks[] =
    "Thanks! A carefully crafted fibonacci sequence will be hitting your inbox shortly.";

// Returns the queue's payloads, oldest (next to run) last, as Redis holds them.
nlohmann::json QueuedJobs(const RedisServer& redis, const std::string& queue = "default") {
  nlohmann::json jobs = nlohmann::json::array();
  std::string raw = redis.Cli({"LRANGE", "queue:" + queue, "0", "-1"});
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t end = raw.find('\n', pos);
    if (end == std::string::npos) end = raw.size();
    std::string line = raw.substr(pos, end - pos);
    if (!line.empty()) jobs.push_back(nlohmann::json::parse(line));
    pos = end + 1;
  }
  return jobs;
}

TEST_CASE("a form post is enqueued as a Sidekiq job and answered at once", "[web][background]") {
  RedisServer redis;
  WebApp web({"--mode", "background", "--redis-url", redis.url()});
  auto start = std::chrono::steady_clock::now();
  auto response =
      web.PostForm("email=ada%40example.com&sequence_length=20", {{"X-Request-Id", "bg-req-1"}});
  double seconds = SecondsSince(start);
  REQUIRE(response);
  INFO(web.process().Log());
  CHECK(response->status == 200);
  CHECK(seconds < 2.0);  // loose: enqueueing must not wait for any job work
  CHECK(response->body.find(kThanks) != std::string::npos);
  CHECK(response->get_header_value("X-Request-Id") == "bg-req-1");
  std::string jid = response->get_header_value("X-Job-Id");
  CHECK(std::regex_match(jid, std::regex("[0-9a-f]{24}")));
  CHECK(std::regex_match(response->get_header_value("Server-Timing"),
                         std::regex("enqueue;dur=[0-9]+\\.[0-9]{3}")));

  nlohmann::json jobs = QueuedJobs(redis);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0]["class"] == "SequenceEmailWorker");
  CHECK(jobs[0]["args"] == nlohmann::json::array({"ada@example.com", 20}));
  CHECK(jobs[0]["args"][1].is_number_integer());
  CHECK(jobs[0]["request_id"] == "bg-req-1");
  CHECK(jobs[0]["jid"] == jid);
  CHECK(jobs[0]["queue"] == "default");
  CHECK(jobs[0]["retry"] == true);
  CHECK(jobs[0]["enqueued_at"].is_number_float());
  CHECK(redis.Cli({"SMEMBERS", "queues"}) == "default");

  auto json = web.PostJson({{"email", "j@example.com"}, {"sequence_length", "3"}});
  REQUIRE(json);
  CHECK(json->status == 200);
  auto body = nlohmann::json::parse(json->body);
  CHECK(body["status"] == "enqueued");
  CHECK(std::regex_match(body["jid"].get<std::string>(), std::regex("[0-9a-f]{24}")));
  REQUIRE(QueuedJobs(redis).size() == 2);
  CHECK(QueuedJobs(redis)[0]["args"] == nlohmann::json::array({"j@example.com", 3}));
}

TEST_CASE("background mode validates exactly as inline and enqueues nothing on bad input",
          "[web][background]") {
  RedisServer redis;
  WebApp web({"--mode", "background", "--redis-url", redis.url()});
  for (const char* body :
       {"email=a%40example.com&sequence_length=0", "email=a%40example.com&sequence_length=28",
        "sequence_length=5", "email=a%40example.com%0D%0AX-Injected%3A+1&sequence_length=5"}) {
    INFO(body);
    auto response = web.PostForm(body);
    REQUIRE(response);
    CHECK(response->status == 422);
    CHECK(response->body.find(kThanks) == std::string::npos);
  }
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "0");
  auto form = web.Get("/");
  REQUIRE(form);
  CHECK(form->body.find("<strong>background</strong>") != std::string::npos);
}

TEST_CASE("Redis down: 503 within about 2 s with a clear message; back up: works again",
          "[web][background]") {
  RedisServer redis;
  WebApp web({"--mode", "background", "--redis-url", redis.url()});
  auto first = web.PostForm("email=a%40example.com&sequence_length=5");
  REQUIRE(first);
  REQUIRE(first->status == 200);

  redis.Stop();
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto start = std::chrono::steady_clock::now();
    auto down = web.PostForm("email=a%40example.com&sequence_length=5");
    double seconds = SecondsSince(start);
    REQUIRE(down);
    INFO("attempt " << attempt << " took " << seconds << " s\n" << down->body);
    CHECK(down->status == 503);
    CHECK(seconds < 2.5);
    CHECK(down->body.find("job queue (Redis) is unavailable") != std::string::npos);
    CHECK(down->body.find(kThanks) == std::string::npos);
    CHECK(down->get_header_value("X-Job-Id").empty());
  }
  auto json_down = web.PostJson({{"email", "a@example.com"}, {"sequence_length", 5}});
  REQUIRE(json_down);
  CHECK(json_down->status == 503);
  CHECK(nlohmann::json::parse(json_down->body)["error"].get<std::string>().find("Redis") !=
        std::string::npos);
  auto health = web.Get("/healthz");  // liveness: the web itself is fine
  REQUIRE(health);
  CHECK(health->status == 200);

  redis.Start();
  auto back = web.PostForm("email=back%40example.com&sequence_length=5");
  REQUIRE(back);
  CHECK(back->status == 200);
  nlohmann::json jobs = QueuedJobs(redis);
  REQUIRE_FALSE(jobs.empty());
  CHECK(jobs[0]["args"][0] == "back@example.com");
  CHECK(jobs[0]["jid"] == back->get_header_value("X-Job-Id"));
}

TEST_CASE("Redis hung (SIGSTOP): 503 after the command timeout, not a hang", "[web][background]") {
  RedisServer redis;
  WebApp web(
      {"--mode", "background", "--redis-url", redis.url(), "--redis-command-timeout-ms", "1000"});
  REQUIRE(web.PostForm("email=a%40example.com&sequence_length=5")->status == 200);
  std::string info = redis.Cli({"INFO", "server"});
  std::smatch pid_match;
  REQUIRE(std::regex_search(info, pid_match, std::regex("process_id:([0-9]+)")));
  pid_t redis_pid = std::stoi(pid_match[1]);
  REQUIRE(kill(redis_pid, SIGSTOP) == 0);
  auto start = std::chrono::steady_clock::now();
  auto hung = web.PostForm("email=a%40example.com&sequence_length=5");
  double seconds = SecondsSince(start);
  kill(redis_pid, SIGCONT);
  REQUIRE(hung);
  INFO(hung->body);
  CHECK(hung->status == 503);
  CHECK(seconds < 2.5);
  CHECK(hung->body.find("did not answer in time") != std::string::npos);
  // A command that timed out may still have been applied; after that, pushes work again.
  auto back = web.PostForm("email=b%40example.com&sequence_length=5");
  REQUIRE(back);
  CHECK(back->status == 200);
}

TEST_CASE("the Redis URL comes from REDIS_PROVIDER / REDIS_URL when --redis-url is absent",
          "[web][background]") {
  RedisServer redis;
  {
    WebApp web({"--mode", "background"}, {{"REDIS_URL", redis.url()}, {"REDIS_PROVIDER", ""}});
    auto response = web.PostForm("email=a%40example.com&sequence_length=2");
    REQUIRE(response);
    CHECK(response->status == 200);
  }
  {
    WebApp web({"--mode", "background"}, {{"MY_REDIS", redis.url()},
                                          {"REDIS_PROVIDER", "MY_REDIS"},
                                          {"REDIS_URL", "redis://127.0.0.1:1/0"}});
    auto response = web.PostForm("email=b%40example.com&sequence_length=2");
    REQUIRE(response);
    CHECK(response->status == 200);
  }
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "2");
  std::string output;
  CHECK(RunCommand({BinPath("fibtastic-web"), "--mode", "background", "--redis-url", "http://x"},
                   &output, 10000) == 2);
  CHECK(RunCommand({BinPath("fibtastic-web"), "--mode", "background"}, &output, 10000,
                   {{"REDIS_PROVIDER", "redis://127.0.0.1:6379"}}) == 2);
  CHECK(output.find("REDIS_PROVIDER") != std::string::npos);
}

TEST_CASE("end to end: web -> Redis -> fibtastic-worker -> email with the request id",
          "[web][background][worker]") {
  RedisServer redis;
  MailSink sink;
  WebApp web({"--mode", "background", "--redis-url", redis.url()});
  auto worker = StartWorker({.redis_url = redis.url(),
                             .smtp_url = sink.smtp_url(),
                             .test_intervals = false,
                             .flags = {"-c", "2"}});
  auto response =
      web.PostForm("email=e2e%40example.com&sequence_length=10", {{"X-Request-Id", "e2e-req-1"}});
  REQUIRE(response);
  REQUIRE(response->status == 200);
  std::string jid = response->get_header_value("X-Job-Id");
  bool arrived = WaitFor([&] { return !sink.Messages().empty(); }, 15000);
  INFO("worker log:\n" << worker->Log());
  REQUIRE(arrived);
  nlohmann::json message = sink.Messages()[0];
  CHECK(message["to"] == nlohmann::json::array({"e2e@example.com"}));
  CHECK(message["subject"] == "Your Fib Sequence!");
  CHECK(message["request_id"] == "e2e-req-1");
  CHECK(message["job_id"] == jid);
  std::string body = sink.Message(message["id"].get<int64_t>())["body"];
  CHECK(body.find("<p>0, 1, 1, 2, 3, 5, 8, 13, 21, 34</p>") != std::string::npos);
  CHECK(worker->Stop(15000) == 0);
}

TEST_CASE("end to end with the lesson's provider settings: STARTTLS, AUTH PLAIN, a password",
          "[web][background][worker][tls]") {
  RedisServer redis;
  TlsSinkFiles files;
  MailSink sink(files.StrictSinkFlags());
  WebApp web({"--mode", "background", "--redis-url", redis.url()});
  // The password travels in SMTP_URL, the CA file in SMTP_CA_FILE, as on a PaaS.
  auto worker = StartWorker({.redis_url = redis.url(),
                             .smtp_url = TlsSinkFiles::Url(sink.smtp_port()),
                             .test_intervals = true,
                             .flags = {"--smtp-ca-file", files.cert()}});
  auto response =
      web.PostForm("email=tls%40example.com&sequence_length=5", {{"X-Request-Id", "tls-req-1"}});
  REQUIRE(response);
  REQUIRE(response->status == 200);
  bool arrived = WaitFor([&] { return !sink.Messages().empty(); }, 15000);
  INFO("worker log:\n" << worker->Log() << "\nsink log:\n" << sink.Log());
  REQUIRE(arrived);
  CHECK(sink.Messages()[0]["request_id"] == "tls-req-1");
  CHECK(sink.Stats()["tls_handshakes"].get<int64_t>() >= 1);
  CHECK(worker->Stop(15000) == 0);
  CHECK(worker->Log().find(kLessonSmtpPassword) == std::string::npos);
}

// A Ruby Sidekiq job class with our class name that records what it was given.
constexpr char kRubyWorker[] = R"rb(
require 'json'
Redis.silence_deprecations = true if defined?(Redis) && Redis.respond_to?(:silence_deprecations=)
class RecordRequestId
  def call(_worker, job, _queue)
    Thread.current[:fib_request_id] = job['request_id']
    yield
  end
end
Sidekiq.configure_server do |config|
  config.server_middleware { |chain| chain.add RecordRequestId }
end
class SequenceEmailWorker
  include Sidekiq::Worker
  def perform(email, sequence_length)
    record = { email: email, sequence_length: sequence_length,
               length_class: sequence_length.class.name, jid: jid,
               request_id: Thread.current[:fib_request_id] }
    File.open(ENV.fetch('FIB_RECORD_FILE'), 'a') { |f| f.puts(record.to_json) }
  end
end
)rb";

TEST_CASE("Ruby Sidekiq runs a job our web enqueued", "[web][background][ruby]") {
  RedisServer redis;
  char dir_template[] = "/tmp/fibtastic-web-ruby-XXXXXX";
  std::string dir = mkdtemp(dir_template);
  std::string worker_file = dir + "/sequence_email_worker.rb";
  std::string record_file = dir + "/performed.jsonl";
  std::ofstream(worker_file) << kRubyWorker;
  WebApp web({"--mode", "background", "--redis-url", redis.url()});
  auto response =
      web.PostForm("email=ruby%40example.com&sequence_length=12", {{"X-Request-Id", "ruby-req-1"}});
  REQUIRE(response);
  REQUIRE(response->status == 200);
  Subprocess sidekiq({"sidekiq", "-r", worker_file, "-c", "1", "-q", "default", "-t", "2"},
                     {{"REDIS_URL", redis.url()}, {"FIB_RECORD_FILE", record_file}});
  std::string line;
  bool ran = WaitFor(
      [&] {
        std::ifstream in(record_file);
        return static_cast<bool>(std::getline(in, line));
      },
      60000);
  INFO("sidekiq log:\n" << sidekiq.Log());
  REQUIRE(ran);
  auto record = nlohmann::json::parse(line);
  CHECK(record["email"] == "ruby@example.com");
  CHECK(record["sequence_length"] == 12);
  CHECK(record["length_class"] == "Integer");
  CHECK(record["jid"] == response->get_header_value("X-Job-Id"));
  CHECK(record["request_id"] == "ruby-req-1");
  sidekiq.Stop(15000);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fib::test
