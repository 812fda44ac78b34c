// fibtastic-trivial-server: a tiny, fast HTTP/1.1 server for measuring the load generator itself
// (so the server is never the bottleneck) and for its tests: every request gets a small fixed
// response. One epoll loop per thread on a SO_REUSEPORT socket; keep-alive.
// Test behaviours: --status (e.g. 503), --close (Connection: close after each response),
// --silent (read requests, never answer).
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/flags.h"
#include "common/log.h"
#include "common/shutdown.h"

namespace {

struct ServerOptions {
  int port = 8080;
  int threads = 1;
  int status = 200;
  bool close = false;
  bool silent = false;
};

std::atomic<bool> g_stop{false};

int Listen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, 1024) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Returns the length of the first complete request in `buffer` (headers + Content-Length
// body), or 0 when more bytes are needed.
size_t RequestLength(std::string_view buffer) {
  size_t end = buffer.find("\r\n\r\n");
  if (end == std::string_view::npos) return 0;
  size_t length = end + 4;
  std::string_view head = buffer.substr(0, end);
  for (std::string_view name : {"Content-Length:", "content-length:"}) {
    size_t at = head.find(name);
    if (at != std::string_view::npos) {
      length += std::strtoul(std::string(head.substr(at + name.size(), 20)).c_str(), nullptr, 10);
      break;
    }
  }
  return buffer.size() >= length ? length : 0;
}

class Loop {
 public:
  Loop(const ServerOptions& options, int listen_fd) : options_(options), listen_fd_(listen_fd) {
    response_ = fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
        "{}\r\nok\n",
        options.status, options.status < 400 ? "OK" : "Error",
        options.close ? "Connection: close\r\n" : "");
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    Add(listen_fd_);
  }
  ~Loop() { close(epoll_); }

  void Run() {
    epoll_event events[256];
    while (!g_stop.load(std::memory_order_relaxed)) {
      int n = epoll_wait(epoll_, events, 256, 100);
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == listen_fd_) {
          Accept();
        } else {
          Serve(fd);
        }
      }
    }
    for (auto& [fd, buffer] : buffers_) close(fd);
  }

 private:
  void Add(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }

  void Accept() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      buffers_[fd].clear();
      Add(fd);
    }
  }

  void Drop(int fd) {
    buffers_.erase(fd);
    close(fd);
  }

  void Serve(int fd) {
    std::string& buffer = buffers_[fd];
    char chunk[16384];
    for (;;) {
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        buffer.append(chunk, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      return Drop(fd);  // EOF or error
    }
    std::string out;
    while (size_t length = RequestLength(buffer)) {
      buffer.erase(0, length);
      if (options_.silent) continue;
      out += response_;
      if (options_.close) break;
    }
    if (!out.empty() && send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0) return Drop(fd);
    if (options_.close && !out.empty()) Drop(fd);
  }

  const ServerOptions& options_;
  int listen_fd_;
  int epoll_;
  std::string response_;
  std::unordered_map<int, std::string> buffers_;
};

}  // namespace

int main(int argc, char** argv) {
  fib::SetLogProgram("fibtastic-trivial-server");
  ServerOptions options;
  fib::FlagSet flags("fibtastic-trivial-server", "--port N [options]",
                     "Answers every HTTP request with a small fixed response, as fast as it can "
                     "(epoll, keep-alive), to measure the load generator itself.");
  flags.Int("port", 'p', &options.port, "PORT", "listen on 127.0.0.1:PORT");
  flags.Int("threads", 't', &options.threads, "COUNT", "event-loop threads");
  flags.Int("status", 0, &options.status, "CODE", "HTTP status of every response");
  flags.Bool("close", 0, &options.close, "close the connection after each response");
  flags.Bool("silent", 0, &options.silent, "read requests but never answer (timeout tests)");
  flags.ParseOrExit(argc, argv);
  if (options.port < 1 || options.port > 65535 || options.threads < 1 || options.status < 100 ||
      options.status > 999) {
    fmt::print(stderr, "fibtastic-trivial-server: --port, --threads or --status out of range\n");
    return 2;
  }
  fib::ShutdownSignals signals([](int) { g_stop = true; });
  std::vector<int> listeners;
  for (int i = 0; i < options.threads; ++i) {
    int fd = Listen(options.port);
    if (fd < 0) {
      fmt::print(stderr, "fibtastic-trivial-server: cannot listen on 127.0.0.1:{}: {}\n",
                 options.port, std::strerror(errno));
      return 1;
    }
    listeners.push_back(fd);
  }
  fib::Log("listening on http://127.0.0.1:{} ({} threads, status {}{}{})", options.port,
           options.threads, options.status, options.close ? ", close" : "",
           options.silent ? ", silent" : "");
  std::vector<std::thread> threads;
  threads.reserve(listeners.size());
  for (int fd : listeners) {
    threads.emplace_back([&options, fd] { Loop(options, fd).Run(); });
  }
  for (auto& t : threads) t.join();
  for (int fd : listeners) close(fd);
  return 0;
}
