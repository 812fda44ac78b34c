// What "nothing lost" depends on, checked at start: a Redis too old for the reliable queue stops
// the worker (exit 1) and makes the web answer 503 instead of 200; no AOF is a warning in both.
// Debian 12 ships only Redis 7.0, so "Redis 6.0" is a stand-in below: a loopback server speaking
// RESP that reports redis_version:6.0.16 in INFO and, like 6.0, knows no LMOVE/BLMOVE. The AOF
// cases use a real redis-server.
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/mail_sink.h"
#include "tests/support/ports.h"
#include "tests/support/redis_server.h"
#include "tests/support/web_app.h"
#include "tests/support/worker_process.h"

namespace fib::test {
namespace {

// Answers INFO with an old version, PING/SELECT/AUTH with OK, everything else with the
// "unknown command" error Redis 6.0 gives for LMOVE/BLMOVE.
class OldRedis {
 public:
  OldRedis() {
    listen_fd_ = ListenLoopback(&port_);
    REQUIRE(listen_fd_ >= 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~OldRedis() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }
  OldRedis(const OldRedis&) = delete;
  OldRedis& operator=(const OldRedis&) = delete;

  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

 private:
  void Serve() {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    std::vector<std::string> buffers{""};
    while (!stop_) {
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      for (size_t i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        if (i == 0) {
          fds.push_back({accept(listen_fd_, nullptr, nullptr), POLLIN, 0});
          buffers.emplace_back();
          continue;
        }
        char buf[4096];
        ssize_t n = recv(fds[i].fd, buf, sizeof buf, 0);
        if (n <= 0) {
          close(fds[i].fd);
          fds[i].fd = -1;  // poll ignores negative fds
          continue;
        }
        buffers[i].append(buf, static_cast<size_t>(n));
        Answer(fds[i].fd, &buffers[i]);
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].fd >= 0) close(fds[i].fd);
    }
  }

  // Answers every complete command (a RESP array of bulk strings) in `buffer`.
  static void Answer(int fd, std::string* buffer) {
    for (;;) {
      std::vector<std::string> argv;
      size_t at = 0;
      if (!ParseCommand(*buffer, &at, &argv)) return;
      buffer->erase(0, at);
      std::string name = argv.empty() ? "" : argv[0];
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::string reply;
      if (name == "INFO") {
        static const std::string kInfo =
            "# Server\r\nredis_version:6.0.16\r\n# Persistence\r\naof_enabled:1\r\n"
            "# Memory\r\nmaxmemory_policy:noeviction\r\n";
        reply = fmt::format("${}\r\n{}\r\n", kInfo.size(), kInfo);
      } else if (name == "PING") {
        reply = "+PONG\r\n";
      } else if (name == "SELECT" || name == "AUTH") {
        reply = "+OK\r\n";
      } else {
        reply = "-ERR unknown command `";
        reply.append(name).append("`, with args beginning with: \r\n");
      }
      send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    }
  }

  static bool ParseCommand(const std::string& in, size_t* at, std::vector<std::string>* argv) {
    auto line = [&](std::string* out) {
      size_t end = in.find("\r\n", *at);
      if (end == std::string::npos) return false;
      *out = in.substr(*at, end - *at);
      *at = end + 2;
      return true;
    };
    std::string header;
    if (!line(&header) || header.empty() || header[0] != '*') return false;
    int count = std::stoi(header.substr(1));
    for (int i = 0; i < count; ++i) {
      std::string size;
      if (!line(&size) || size.empty() || size[0] != '$') return false;
      size_t n = std::stoul(size.substr(1));
      if (in.size() < *at + n + 2) return false;
      argv->push_back(in.substr(*at, n));
      *at += n + 2;
    }
    return true;
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_CASE("a worker refuses a Redis older than 6.2 with exit 1 and says why", "[redis_version]") {
  OldRedis old;
  MailSink sink;
  WorkerLaunch launch;
  launch.redis_url = old.url();
  launch.smtp_url = sink.smtp_url();
  auto worker = StartWorker(launch);
  int rc = worker->Wait(10000);
  INFO(worker->Log());
  CHECK(rc == 1);
  CHECK(WaitForLog(*worker, "cannot start: Redis 6.0.16 at redis://127.0.0.1:", 1000));
  CHECK(WaitForLog(*worker, "needs Redis >= 6.2 (LMOVE/BLMOVE)", 1000));
}

TEST_CASE("the background web answers 503, not 200, on a Redis older than 6.2", "[redis_version]") {
  OldRedis old;
  WebApp web = WebApp::Background(old.url());
  auto response = web.PostForm("email=a%40example.com&sequence_length=5");
  REQUIRE(response);
  INFO(web.process().Log());
  CHECK(response->status == 503);
  CHECK(WaitForLog(web.process(), "is too old", 1000));
  CHECK(web.Get("/healthz")->status == 200);  // liveness is not readiness
}

TEST_CASE("worker and web warn at start when Redis has no AOF, not when it has",
          "[redis_version]") {
  MailSink sink;
  const std::string warning = "Redis has no AOF (appendonly no)";
  {
    RedisServer volatile_redis(false);
    auto worker = StartWorker(volatile_redis, sink.smtp_url());
    CHECK(WaitForLog(*worker, warning, 5000));
    WebApp web = WebApp::Background(volatile_redis.url());
    CHECK(WaitForLog(web.process(), warning, 5000));
  }
  RedisServer durable(true);
  auto worker = StartWorker(durable, sink.smtp_url());
  WebApp web = WebApp::Background(durable.url());
  auto response = web.PostForm("email=a%40example.com&sequence_length=5");
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(CountInLog(*worker, warning) == 0);
  CHECK(CountInLog(web.process(), warning) == 0);
}

}  // namespace
}  // namespace fib::test
