// Secrets never leave the process: a whole run — web (inline and background), worker, mail sink,
// Redis — with passwords in both REDIS_URL and SMTP_URL (sent over STARTTLS with AUTH PLAIN, as
// the lesson's provider settings), every send failing (so every error path that carries the SMTP
// URL or a Redis error runs), and then every output is searched for the
// passwords: pages, JSON bodies, every process's log, every Redis key. Zero hits. Also a Redis
// whose AUTH is renamed away, which answers with the arguments echoed back.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "tests/support/ports.h"
#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"

namespace {

using namespace fib::test;  // NOLINT: the support helpers read best unqualified

constexpr char kRedisPassword[] = "Redis-pw-7f3c9e";
constexpr char kSmtpPassword[] = "Smtp-pw-41b2d8";

std::unique_ptr<Subprocess> StartWeb(const std::string& mode, int port,
                                     const std::string& redis_url, const std::string& smtp_url) {
  auto web = std::make_unique<Subprocess>(
      std::vector<std::string>{BinPath("fibtastic-web"), "--mode", mode, "--port",
                               std::to_string(port)},
      std::map<std::string, std::string>{
          {"REDIS_URL", redis_url}, {"SMTP_URL", smtp_url}, {"SMTP_TLS_INSECURE", "1"}});
  REQUIRE(WaitForPort(port));
  return web;
}

// Every value in Redis as text: strings, lists, sets, sorted sets, hashes.
std::string DumpRedis(const RedisServer& redis) {
  std::string all;
  std::string keys = redis.Cli({"--scan"});
  size_t start = 0;
  while (start < keys.size()) {
    size_t end = keys.find('\n', start);
    std::string key =
        keys.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? keys.size() : end + 1;
    if (key.empty()) continue;
    std::string type = redis.Cli({"TYPE", key});
    all.append(key).append(" (").append(type).append("): ");
    if (type == "string") all += redis.Cli({"GET", key});
    if (type == "list") all += redis.Cli({"LRANGE", key, "0", "-1"});
    if (type == "set") all += redis.Cli({"SMEMBERS", key});
    if (type == "zset") all += redis.Cli({"ZRANGE", key, "0", "-1"});
    if (type == "hash") all += redis.Cli({"HGETALL", key});
    all += "\n";
  }
  return all;
}

void CheckNoPassword(const std::string& where, const std::string& text) {
  INFO(where << ":\n" << text);
  CHECK(text.find(kRedisPassword) == std::string::npos);
  CHECK(text.find(kSmtpPassword) == std::string::npos);
}

}  // namespace

TEST_CASE("no output of a run with passwords in both URLs contains either password",
          "[secrets][integration]") {
  RedisServer redis;
  // A user with a password; the default user stays open for the test's own redis-cli.
  REQUIRE(redis.Cli({"ACL", "SETUSER", "fib", "on", std::string(">") + kRedisPassword, "~*", "&*",
                     "+@all"}) == "OK");
  const std::string redis_url = "redis://fib:" + std::string(kRedisPassword) +
                                "@127.0.0.1:" + std::to_string(redis.port()) + "/0";
  int smtp_port = FreePort(), inbox_port = FreePort();
  Subprocess sink({BinPath("fibtastic-mailsink"), "--smtp-port", std::to_string(smtp_port),
                   "--http-port", std::to_string(inbox_port), "--fail-rate", "1", "--require-tls",
                   "--require-auth"});
  REQUIRE(WaitForPort(smtp_port));
  const std::string smtp_url =
      "smtp://mailer:" + std::string(kSmtpPassword) + "@127.0.0.1:" + std::to_string(smtp_port);
  int inline_port = FreePort(), background_port = FreePort();
  auto inline_web = StartWeb("inline", inline_port, redis_url, smtp_url);
  auto background_web = StartWeb("background", background_port, redis_url, smtp_url);
  Subprocess worker({BinPath("fibtastic-worker"), "-c", "2", "--retry-delay-scale", "0.001",
                     "--redis-url", redis_url, "--smtp-url", smtp_url, "--smtp-tls-insecure"});

  std::string pages;
  for (int port : {inline_port, background_port}) {
    httplib::Client client("127.0.0.1", port);
    auto form = client.Post("/sequences", "email=a%40example.com&sequence_length=5",
                            "application/x-www-form-urlencoded");
    REQUIRE(form);
    auto json = client.Post("/sequences", R"({"email":"b@example.com","sequence_length":5})",
                            "application/json");
    REQUIRE(json);
    pages += form->body + json->body;
    for (const auto& [name, value] : form->headers)
      pages.append(name).append(": ").append(value) += '\n';
  }
  // The worker fails each send (451) and retries; wait until failures are in Redis.
  bool failed = false;
  for (int i = 0; i < 100 && !failed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    failed = std::atoi(redis.Cli({"GET", "stat:failed"}).c_str()) >= 2;
  }
  CHECK(failed);
  std::string keys = DumpRedis(redis);
  CHECK(keys.find("error_message") != std::string::npos);  // the failure text is there ...
  CheckNoPassword("pages", pages);                         // ... and no password anywhere
  CheckNoPassword("redis", keys);
  CheckNoPassword("inline web log", inline_web->Log());
  CheckNoPassword("background web log", background_web->Log());
  CHECK(worker.Stop(10000) == 0);
  CheckNoPassword("worker log", worker.Log());
  CheckNoPassword("mail sink log", sink.Log());
  // The sends did authenticate over TLS before the 451: the password went over the wire.
  httplib::Client inbox("127.0.0.1", inbox_port);
  auto stats = inbox.Get("/stats");
  REQUIRE(stats);
  CHECK(stats->body.find("\"tls_handshakes\":0") == std::string::npos);
  CHECK(stats->body.find("\"failed_451\":0") == std::string::npos);
  CheckNoPassword("mail sink stats", stats->body);
}

TEST_CASE("a Redis that echoes AUTH's arguments back never puts the password in a page or log",
          "[secrets][integration]") {
  // With AUTH renamed away, Redis answers "unknown command 'AUTH', with args beginning with:
  // '<password>'" — as a proxy or a renamed command would.
  RedisServer redis(false, {"--rename-command", "AUTH", ""});
  const std::string redis_url = "redis://:" + std::string(kRedisPassword) +
                                "@127.0.0.1:" + std::to_string(redis.port()) + "/0";
  int port = FreePort();
  auto web = StartWeb("background", port, redis_url, "smtp://127.0.0.1:1");
  httplib::Client client("127.0.0.1", port);
  auto form = client.Post("/sequences", "email=a%40example.com&sequence_length=5",
                          "application/x-www-form-urlencoded");
  REQUIRE(form);
  CHECK(form->status == 503);
  CheckNoPassword("503 page", form->body);
  Subprocess worker({BinPath("fibtastic-worker"), "--redis-url", redis_url});
  CHECK(worker.Wait(15000) == 1);  // cannot start: AUTH refused
  CheckNoPassword("worker log", worker.Log());
  CHECK(worker.Log().find("refused AUTH") != std::string::npos);
  CheckNoPassword("web log", web->Log());
}
