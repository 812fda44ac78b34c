#include "mailsink/smtp_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <system_error>
#include <thread>

#include "common/log.h"

namespace fib {
namespace {

// Returns the numeric address and port of a peer, e.g. {"127.0.0.1", "53122"}.
std::pair<std::string, std::string> PeerName(const sockaddr_storage& addr) {
  char host[NI_MAXHOST] = "?";
  char service[NI_MAXSERV] = "?";
  getnameinfo(reinterpret_cast<const sockaddr*>(&addr), sizeof addr, host, sizeof host, service,
              sizeof service, NI_NUMERICHOST | NI_NUMERICSERV);
  return {host, service};
}

int BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

void WriteAndClose(int fd, const char* text) {
  ssize_t ignored = send(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
  close(fd);
}

}  // namespace

SmtpServer::SmtpServer(SmtpServerOptions options, Provider* provider, SinkCounters* counters,
                       const Clock* clock)
    : options_(std::move(options)), provider_(provider), counters_(counters), clock_(clock) {}

SmtpServer::~SmtpServer() {
  if (listen_fd_ >= 0) close(listen_fd_);
  if (smtps_listen_fd_ >= 0) close(smtps_listen_fd_);
  for (int fd : wake_pipe_) {
    if (fd >= 0) close(fd);
  }
}

Status SmtpServer::Listen() {
  auto fd = ListenOn(options_.port, "--smtp-port");
  if (!fd.ok()) return fd.status();
  if (options_.smtps_port > 0) {
    FIB_REQUIRE(options_.connection.tls != nullptr);
    auto smtps = ListenOn(options_.smtps_port, "--smtps-port");
    if (!smtps.ok()) {
      close(*fd);
      return smtps.status();
    }
    smtps_listen_fd_ = *smtps;
    smtps_port_ = BoundPort(*smtps);
  }
  if (pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(*fd);
    return Status::Error(std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  listen_fd_ = *fd;
  port_ = BoundPort(*fd);
  return Status::Ok();
}

Result<int> SmtpServer::ListenOn(int port, const char* flag) {
  std::string where = options_.bind_address + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(options_.bind_address.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    return Status::Error("cannot listen for SMTP on " + where + ": " + gai_strerror(rc) +
                         "; check --bind");
  }
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  bool ok = fd >= 0 && bind(fd, found->ai_addr, found->ai_addrlen) == 0 && listen(fd, 128) == 0;
  int error = errno;
  freeaddrinfo(found);
  if (!ok) {
    if (fd >= 0) close(fd);
    return Status::Error("cannot listen for SMTP on " + where + ": " + std::strerror(error) +
                         (error == EADDRINUSE ? std::string(" (another mail sink running? pick "
                                                            "another ") +
                                                    flag + ", or 0 for any free port)"
                                              : ""));
  }
  return fd;
}

void SmtpServer::Serve() {
  while (!stopping_.load()) {
    // A negative fd (no SMTPS port) is ignored by poll.
    pollfd fds[3] = {
        {listen_fd_, POLLIN, 0}, {smtps_listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (poll(fds, 3, -1) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) Accept(listen_fd_, false);
    if (fds[1].revents & POLLIN) Accept(smtps_listen_fd_, true);
  }
  // Release the ports before waiting for sessions to wind down.
  for (int* fd : {&listen_fd_, &smtps_listen_fd_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  sessions_done_.wait(lock, [this] { return session_fds_.empty(); });
}

void SmtpServer::Accept(int listen_fd, bool implicit_tls) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
  if (fd < 0) {
    // Out of descriptors: the pending connection keeps the socket readable, so pause rather
    // than spin; other errors (the client went away already) need nothing.
    if (errno == EMFILE || errno == ENFILE) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return;
  }
  ++counters_->connections_total;
  if (auto fault = provider_->chaos()->OnConnect()) {
    // A silent close (an outage in "refuse" mode) sends nothing: the client sees it closed.
    if (fault->code == 0) {
      close(fd);
    } else {
      WriteAndClose(fd, fault->Line().c_str());
    }
    return;
  }
  auto [host, port] = PeerName(addr);
  StartSession(fd, host, host + ":" + port, implicit_tls);
}

void SmtpServer::StartSession(int fd, const std::string& host, std::string peer,
                              bool implicit_tls) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Checked under the lock: a Stop that already ran its shutdown loop would miss this fd.
    if (stopping_.load()) {
      WriteAndClose(fd, "421 4.3.2 Service shutting down\r\n");
      return;
    }
    if (static_cast<int>(session_fds_.size()) >= options_.max_connections) {
      ++counters_->connections_refused;
      WriteAndClose(fd, "421 4.3.2 Too many connections, try again later\r\n");
      return;
    }
    int& from_client = sessions_per_client_[host];
    if (from_client >= options_.max_connections_per_client) {
      ++counters_->connections_refused;
      ++counters_->connections_refused_per_client;
      std::string reply = "421 4.7.0 Too many connections from " + host + " (at most " +
                          std::to_string(options_.max_connections_per_client) +
                          " at once per client address), try again later\r\n";
      WriteAndClose(fd, reply.c_str());
      return;
    }
    ++from_client;
    session_fds_.insert(fd);
  }
  try {
    std::thread([this, fd, host, peer = std::move(peer), implicit_tls] {
      RunSession(fd, host, peer, implicit_tls);
    }).detach();
  } catch (const std::system_error& e) {
    Log("cannot start a session thread: {}; refusing {}", e.what(), peer);
    std::lock_guard<std::mutex> lock(mutex_);
    session_fds_.erase(fd);
    if (--sessions_per_client_[host] == 0) sessions_per_client_.erase(host);
    WriteAndClose(fd, "421 4.3.2 Out of threads, try again later\r\n");
  }
}

void SmtpServer::RunSession(int fd, const std::string& host, std::string peer, bool implicit_tls) {
  ++counters_->connections_active;
  SmtpConnection connection(fd, std::move(peer), options_.connection, provider_, counters_, clock_,
                            &stopping_, implicit_tls);
  connection.Run();
  --counters_->connections_active;
  std::lock_guard<std::mutex> lock(mutex_);
  // Close under the lock so Stop never shuts down a descriptor number already reused.
  session_fds_.erase(fd);
  if (--sessions_per_client_[host] == 0) sessions_per_client_.erase(host);
  close(fd);
  sessions_done_.notify_all();
}

void SmtpServer::Stop() {
  stopping_.store(true);
  provider_->Stop();
  std::lock_guard<std::mutex> lock(mutex_);
  if (wake_pipe_[1] >= 0) {
    ssize_t ignored = write(wake_pipe_[1], "x", 1);
    (void)ignored;
  }
  // A read shutdown wakes a session blocked in poll; it still can write its 421.
  for (int fd : session_fds_) shutdown(fd, SHUT_RD);
}

}  // namespace fib
