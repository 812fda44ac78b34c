// The lesson's own stack as a peer (docs/rails-peer.md): the FibTastic Rails app under Puma and
// Ruby Sidekiq, started with its launchers (peers/rails-fibtastic/bin/web, bin/worker) against
// a real redis-server and our mail sink. Checks the email and its X-Request-Id in each mode, the
// mixed pairs (Rails web -> fibtastic-worker, fibtastic-web -> Ruby Sidekiq), the lesson
// profile's Server-Timing stages, and that both webs answer the same inputs with the same status.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/ports.h"
#include "tests/support/web_app.h"
#include "tests/support/worker_fixture.h"

using namespace fib;
using namespace fib::test;

namespace {

const std::string kPeerDir = FIB_RAILS_PEER_DIR;

// Returns "" when Debian's ruby-rails, puma and ruby-sidekiq can be loaded, else why not.
std::string RailsMissing() {
  std::string output;
  int rc = RunCommand({"ruby", "-e",
                       "require 'rails'; require 'action_controller'; require 'action_mailer'; "
                       "require 'sidekiq'; require 'puma'"},
                      &output, 30000);
  return rc == 0 ? "" : "ruby-rails / puma / ruby-sidekiq cannot be loaded: " + output;
}

#define SKIP_WITHOUT_RAILS()                                                              \
  if (std::string missing = RailsMissing(); !missing.empty()) {                           \
    WARN("skipped: " << missing                                                           \
                     << " (scripts/install-deps installs ruby-rails puma ruby-sidekiq)"); \
    return;                                                                               \
  }

// The Rails web (bin/web) on a free port; stopped (SIGTERM to Puma) when it goes away.
class RailsWeb {
 public:
  RailsWeb(std::vector<std::string> flags, const std::string& redis_url,
           const std::string& smtp_url)
      : port_(FreePort()) {
    std::vector<std::string> argv = {kPeerDir + "/bin/web", "--port", std::to_string(port_)};
    argv.insert(argv.end(), flags.begin(), flags.end());
    process_ = std::make_unique<Subprocess>(
        argv, std::map<std::string, std::string>{
                  {"REDIS_URL", redis_url}, {"REDIS_PROVIDER", ""}, {"SMTP_URL", smtp_url}});
    // A Rails boot takes seconds (more on a busy machine).
    if (!WaitForPort(port_, 60000)) FAIL("bin/web did not start:\n" << process_->Log());
  }
  int port() const { return port_; }
  Subprocess& process() { return *process_; }
  httplib::Result PostForm(const std::string& body, const httplib::Headers& headers = {}) const {
    return HttpClient(port_)->Post("/sequences", headers, body,
                                   "application/x-www-form-urlencoded");
  }

 private:
  int port_;
  std::unique_ptr<Subprocess> process_;
};

// Ruby Sidekiq with the Rails app (bin/worker); ready once it registered in `processes`.
std::unique_ptr<Subprocess> StartRubySidekiq(const RedisServer& redis,
                                             const std::string& smtp_url) {
  auto worker = std::make_unique<Subprocess>(
      std::vector<std::string>{kPeerDir + "/bin/worker", "--concurrency", "2"},
      std::map<std::string, std::string>{
          {"REDIS_URL", redis.url()}, {"REDIS_PROVIDER", ""}, {"SMTP_URL", smtp_url}});
  bool up = WaitForValue([&] { return redis.Cli({"SCARD", "processes"}); }, "1", 60000);
  if (!up) FAIL("bin/worker did not register with Redis:\n" << worker->Log());
  return worker;
}

// Returns the string at `key`, "" when absent or null.
std::string Text(const nlohmann::json& object, const std::string& key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// Returns the one message with X-Request-Id `id`, waiting up to 30 s; FAILs when none arrives.
nlohmann::json EmailFor(const MailSink& sink, const std::string& id) {
  nlohmann::json found;
  bool arrived = WaitForValue(
      [&] {
        for (const auto& m : sink.Messages()) {
          if (Text(m, "request_id") == id) found = m;
        }
        return found.is_null() ? std::string("no") : std::string("yes");
      },
      "yes", 30000);
  if (!arrived) FAIL("no email with X-Request-Id " << id << " in " << sink.Messages().dump());
  return found;
}

// Posts a valid form with X-Request-Id `id` to `port`; REQUIREs 200; returns its X-Job-Id.
std::string PostValid(int port, const std::string& id, int length) {
  auto response = HttpClient(port)->Post(
      "/sequences", {{"X-Request-Id", id}},
      "email=" + id + "%40example.com&sequence_length=" + std::to_string(length),
      "application/x-www-form-urlencoded");
  REQUIRE(response);
  INFO("body: " << response->body);
  REQUIRE(response->status == 200);
  return response->get_header_value("X-Job-Id");
}

// Checks the email for `id` is the sequence email of `length` numbers with the right headers.
void CheckSequenceEmail(const MailSink& sink, const std::string& id, const std::string& jid,
                        const std::string& first_numbers) {
  nlohmann::json summary = EmailFor(sink, id);
  nlohmann::json message = sink.Message(summary["id"].get<int64_t>());
  INFO("message: " << message.dump());
  CHECK(summary["subject"] == "Your Fib Sequence!");
  CHECK(summary["to"].dump().find(id + "@example.com") != std::string::npos);
  CHECK(message["body"].get<std::string>().find("Here's those Fibonacci Numbers you requested:") !=
        std::string::npos);
  CHECK(message["body"].get<std::string>().find(first_numbers) != std::string::npos);
  CHECK(Text(summary, "job_id") == jid);
}

// Returns the names in a Server-Timing value, in order ("load_user;dur=3.1, job;dur=..").
std::vector<std::string> TimingNames(const std::string& value) {
  std::vector<std::string> names;
  std::regex entry(R"(([A-Za-z0-9_.\-]+);dur=([0-9.]+))");
  for (std::sregex_iterator it(value.begin(), value.end(), entry), end; it != end; ++it) {
    names.push_back((*it)[1]);
  }
  return names;
}

double TimingMs(const std::string& value, const std::string& name) {
  std::smatch match;
  if (!std::regex_search(value, match, std::regex(name + R"(;dur=([0-9.]+))"))) return -1;
  return std::stod(match[1]);
}

struct Post {
  std::string content_type;
  std::string body;
};

}  // namespace

TEST_CASE("Rails inline sends in the request; both webs accept and reject the same inputs",
          "[rails][interop]") {
  SKIP_WITHOUT_RAILS();
  MailSink sink;
  RailsWeb rails({"--mode", "inline"}, "redis://127.0.0.1:1/0", sink.smtp_url());
  WebApp cpp({"--mode", "inline"}, {{"SMTP_URL", sink.smtp_url()}});

  std::string form = "application/x-www-form-urlencoded", json = "application/json";
  std::vector<Post> posts = {
      {form, "email=ok%40example.com&sequence_length=1"},
      {form, "email=ok%40example.com&sequence_length=+27+"},
      {json, R"({"email": "ok@example.com", "sequence_length": 12})"},
      {json, R"({"email": "ok@example.com", "sequence_length": "5"})"},
      {form, "email=ok%40example.com&sequence_length=0"},
      {form, "email=ok%40example.com&sequence_length=28"},
      {form, "email=ok%40example.com&sequence_length=-3"},
      {form, "email=ok%40example.com&sequence_length=12abc"},
      {form, "email=ok%40example.com&sequence_length=99999999999999999999"},
      {form, "email=ok%40example.com"},
      {form, "sequence_length=5"},
      {form, "email=nobody&sequence_length=5"},
      {form, "email=a%40b&sequence_length=5"},
      {form, "email=a%40b.com%2Cc%40d.com&sequence_length=5"},
      {form, "email=a+b%40example.com&sequence_length=5"},
      {form, "email=ok%40example.com&sequence_length=%ZZ"},
      {json, R"({"email": "ok@example.com", "sequence_length": 12.5})"},
      {json, R"({"email": "ok@example.com", "sequence_length": true})"},
      {json, R"({"email": 5, "sequence_length": 5})"},
      {json, R"([{"email": "ok@example.com"}])"},
      {json, R"({"email": )"},
      {"text/plain", "email=ok%40example.com&sequence_length=5"},
      // Bodies over our web's limits (8 KiB of form, 64 KiB of anything): 413, nothing mailed.
      {form, "email=ok%40example.com&sequence_length=5&pad=" + std::string(9000, 'a')},
      {json, R"({"email": "ok@example.com", "sequence_length": 5, "pad": ")" +
                 std::string(70000, 'a') + "\"}"},
  };
  std::set<int> statuses;
  for (const Post& post : posts) {
    auto from_rails = HttpClient(rails.port())->Post("/sequences", post.body, post.content_type);
    auto from_cpp = HttpClient(cpp.port())->Post("/sequences", post.body, post.content_type);
    REQUIRE(from_rails);
    REQUIRE(from_cpp);
    INFO(post.content_type << " " << post.body << "\nrails: " << from_rails->body
                           << "\nours: " << from_cpp->body);
    CHECK(from_rails->status == from_cpp->status);
    statuses.insert(from_cpp->status);
  }
  CHECK(statuses == std::set<int>{200, 400, 413, 415, 422});  // the list covers every answer
  CHECK(sink.WaitForMessages(8, 20000).size() == 8);          // the 4 valid posts, to each web

  PostValid(rails.port(), "rails-inline-1", 10);
  CheckSequenceEmail(sink, "rails-inline-1", "", "<p>0, 1, 1, 2, 3, 5, 8, 13, 21, 34</p>");
  auto form_page = HttpClient(rails.port())->Get("/");
  REQUIRE(form_page);
  CHECK(form_page->status == 200);
  CHECK(form_page->body.find("FibTastic -- Fibonacci as a Service") != std::string::npos);
}

TEST_CASE("Rails background with Ruby Sidekiq, and the mixed pairs through one Redis",
          "[rails][interop]") {
  SKIP_WITHOUT_RAILS();
  RedisServer redis;
  MailSink sink;
  RailsWeb rails({"--mode", "background"}, redis.url(), sink.smtp_url());
  WebApp cpp = WebApp::Background(redis.url());

  auto ruby_worker = StartRubySidekiq(redis, sink.smtp_url());
  std::string rails_jid = PostValid(rails.port(), "rails-to-ruby", 7);
  CHECK(rails_jid.size() == 24);
  CheckSequenceEmail(sink, "rails-to-ruby", rails_jid, "<p>0, 1, 1, 2, 3, 5, 8</p>");
  std::string cpp_jid = PostValid(cpp.port(), "ours-to-ruby", 5);
  CheckSequenceEmail(sink, "ours-to-ruby", cpp_jid, "<p>0, 1, 1, 2, 3</p>");
  for (const char* id : {"rails-to-ruby", "ours-to-ruby"}) {  // every stamp the waterfall joins
    nlohmann::json headers = sink.Message(EmailFor(sink, id)["id"].get<int64_t>())["headers"];
    INFO(id << " headers: " << headers.dump());
    CHECK(!Text(headers, "X-Request-Start").empty());
    std::string timing = Text(headers, "X-Fib-Timing");
    for (const char* key : {"v=1", "; req=", "; enq=", "; fetch=", "; perform=", "; smtp="}) {
      CHECK(timing.find(key) != std::string::npos);
    }
  }
  // A job whose arguments break the form's rules (pushed by anything that can write Redis) is
  // refused with ArgumentError into the retry set, as ours refuses it, instead of a thread
  // running rec_sequence(60) for ever.
  REQUIRE(redis.Cli({"LPUSH", "queue:default",
                     R"({"class":"SequenceEmailWorker","args":["big@example.com",60],)"
                     R"("queue":"default","jid":"0badbadbadbadbadbadbad01","retry":true,)"
                     R"("created_at":1.0,"enqueued_at":1.0})"}) == "1");
  CHECK(WaitForValue([&] { return redis.Cli({"ZCARD", "retry"}); }, "1", 20000));
  CHECK(redis.Cli({"ZRANGE", "retry", "0", "-1"}).find("ArgumentError") != std::string::npos);
  redis.Cli({"DEL", "retry"});
  CHECK(ruby_worker->Stop(20000) == 0);

  // Ruby Sidekiq gone: the Rails web's jobs wait in Redis until our worker runs them.
  std::string queued_jid = PostValid(rails.port(), "rails-to-ours", 6);
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "1");
  auto our_worker = StartWorker(redis, sink.smtp_url());
  CheckSequenceEmail(sink, "rails-to-ours", queued_jid, "<p>0, 1, 1, 2, 3, 5</p>");
  CHECK(our_worker->Stop(10000) == 0);
  CHECK(sink.Messages().size() == 3);
}

TEST_CASE("Rails --profile lesson: the lesson's stages, named as our web names them",
          "[rails][interop]") {
  SKIP_WITHOUT_RAILS();
  MailSink sink;
  RailsWeb rails({"--mode", "inline", "--profile", "lesson", "--threads", "2"},
                 "redis://127.0.0.1:1/0", sink.smtp_url());
  WebApp cpp({"--mode", "inline", "--profile", "lesson"}, {{"SMTP_URL", sink.smtp_url()}});
  auto from_rails = rails.PostForm("email=lesson%40example.com&sequence_length=3",
                                   {{"X-Request-Id", "rails-lesson"}});
  auto from_cpp = HttpClient(cpp.port())
                      ->Post("/sequences", "email=lesson%40example.com&sequence_length=3",
                             "application/x-www-form-urlencoded");
  REQUIRE(from_rails);
  REQUIRE(from_cpp);
  REQUIRE(from_rails->status == 200);
  std::string timing = from_rails->get_header_value("Server-Timing");
  INFO("rails: " << timing << "\nours: " << from_cpp->get_header_value("Server-Timing"));
  CHECK(TimingNames(timing) == TimingNames(from_cpp->get_header_value("Server-Timing")));
  CHECK(TimingNames(timing) == std::vector<std::string>{"load_user", "job", "render"});
  CHECK(TimingMs(timing, "load_user") >= 3.0);
  CHECK(TimingMs(timing, "job") >= 100.0);  // 100 ms of CPU take at least 100 ms of wall time
  CHECK(TimingMs(timing, "render") >= 20.0);
  nlohmann::json email = EmailFor(sink, "rails-lesson");
  nlohmann::json message = sink.Message(email["id"].get<int64_t>());
  CHECK(message["headers"].dump().find("generate%20recommendations:") != std::string::npos);
}

// SMTP_URL is read at boot; one that does not parse stops the app (exit 1), and its message must
// not show the password, which may hold the "/" or "@" that broke the parse.
TEST_CASE("Rails bin/web refuses an unparsable SMTP_URL without printing its password",
          "[rails][interop]") {
  SKIP_WITHOUT_RAILS();
  for (const char* password : {"sekr/et9", "sekr@et9"}) {
    Subprocess web(
        {kPeerDir + "/bin/web", "--mode", "inline", "--port", std::to_string(FreePort())},
        {{"REDIS_URL", "redis://127.0.0.1:1/0"},
         {"REDIS_PROVIDER", ""},
         {"SMTP_URL", std::string("smtp://user:") + password + "@127.0.0.1:25"}});
    int rc = web.Wait(60000);
    std::string log = web.Log();
    INFO("password " << password << ", log:\n" << log);
    CHECK(rc == 1);
    CHECK(log.find("SMTP_URL") != std::string::npos);
    CHECK(log.find("et9") == std::string::npos);
  }
}

namespace {

// Returns the local addresses (hex, as /proc/net/tcp writes them: "0100007F" is 127.0.0.1)
// with a listening IPv4 socket on `port`.
std::set<std::string> ListeningAddresses(int port) {
  std::set<std::string> addresses;
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the header
  char want[8];
  std::snprintf(want, sizeof want, "%04X", port);
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    size_t colon = local.find(':');
    if (state == "0A" && colon != std::string::npos && local.substr(colon + 1) == want) {
      addresses.insert(local.substr(0, colon));
    }
  }
  return addresses;
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0; }

}  // namespace

// The lesson's Procfile as docs/rails-peer.md runs it: foreman runs each line with sh -c and on
// SIGTERM signals only those shells, so the lines must exec; the web binds loopback by default.
TEST_CASE("Rails Procfile under foreman: the web binds loopback, SIGTERM leaves no Puma behind",
          "[rails][interop]") {
  SKIP_WITHOUT_RAILS();
  int port = FreePort();
  Subprocess foreman({"foreman", "start", "-f", kPeerDir + "/Procfile", "-d", kPeerDir, "web"},
                     {{"PORT", std::to_string(port)},
                      {"BIND", ""},
                      {"REDIS_URL", "redis://127.0.0.1:1/0"},
                      {"REDIS_PROVIDER", ""}});
  REQUIRE(WaitForPort(port, 60000));
  std::smatch match;
  std::string log;
  for (int i = 0; i < 100; ++i) {  // Puma prints its pid before it listens; foreman relays it
    log = foreman.Log();
    if (std::regex_search(log, match, std::regex(R"(PID: (\d+))"))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(!match.empty());
  auto puma = static_cast<pid_t>(std::stol(match[1]));
  INFO("foreman log:\n" << log);
  CHECK(ListeningAddresses(port) == std::set<std::string>{"0100007F"});
  CHECK(foreman.Stop(20000) == 0);
  bool gone = false;
  for (int i = 0; i < 200 && !(gone = !Alive(puma)); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(gone);
  if (!gone) kill(puma, SIGKILL);  // never leave it behind, even when the check failed
}
