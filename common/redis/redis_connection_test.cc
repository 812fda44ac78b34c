// Unit tests for RedisConnection's behaviour on a timed-out command, against a listening socket
// of the test's own on 127.0.0.1 that never answers (no redis-server needed).
#include "common/redis/redis_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>

namespace fib {
namespace {

// A listening socket on a free loopback port; accepts only when asked.
struct SilentServer {
  int fd = -1;
  int port = 0;
  SilentServer() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    // A failed step leaves port 0, which the test checks first.
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd); }
};

// Reads from `conn` until the peer's end: returns 0 for an orderly close (FIN), else the errno.
int HowItEnded(int conn) {
  timeval limit{5, 0};
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  char buf[256];
  for (;;) {
    ssize_t n = recv(conn, buf, sizeof buf, 0);
    if (n == 0) return 0;
    if (n < 0) return errno;
  }
}

TEST_CASE("RedisConnection resets a connection whose command timed out, so it never runs late") {
  // Why: after a timeout a plain close() lets the kernel keep retransmitting the unanswered
  // command through a partition, and Redis runs it after healing (a fetched job stranded, an
  // enqueue for a request answered 503). The reset discards it; the server sees ECONNRESET.
  SilentServer server;
  REQUIRE(server.port > 0);
  RedisConnectionOptions options;
  options.connect_timeout_ms = 1000;
  options.command_timeout_ms = 200;
  auto connection =
      RedisConnection::Open("redis://127.0.0.1:" + std::to_string(server.port) + "/0", options);
  REQUIRE(connection.ok());
  auto reply = (*connection)->Command({"PING"});
  REQUIRE_FALSE(reply.ok());
  CHECK_THAT(reply.message(), Catch::Contains("timed out after 200 ms"));
  int conn = accept(server.fd, nullptr, nullptr);
  REQUIRE(conn >= 0);
  CHECK(HowItEnded(conn) == ECONNRESET);
  close(conn);
}

}  // namespace
}  // namespace fib
