// SmtpServer: listens for SMTP and gives every connection its own thread running an
// SmtpConnection. Why threads and not an event loop with timers: sessions spend their life
// blocked (on the client, or in the provider's --delay-ms hold), connection counts here are
// tens (worker concurrency), and a blocking thread makes the delay a plain interruptible wait
// that cannot hold up any other session. --max-connections bounds the thread count, and
// --max-connections-per-client the share of it one client address (IP, port ignored) may hold,
// so one client's idle sessions cannot lock everyone else out. With TLS, a second port may
// speak implicit TLS (SMTPS, RFC 8314); its sessions count in the same limits.
// Thread-safety: Listen and Serve from one thread; Stop from any thread (e.g. a signal handler
// thread); port() after Listen.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "common/clock.h"
#include "common/require.h"
#include "common/status.h"
#include "mailsink/provider.h"
#include "mailsink/sink_counters.h"
#include "mailsink/smtp_connection.h"

namespace fib {

struct SmtpServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 1025;            // 0 picks a free port (see port())
  int smtps_port = 0;         // implicit TLS (SMTPS) port; 0: none. REQUIRES connection.tls
  int max_connections = 256;  // more concurrent clients get 421 and are closed
  // Concurrent sessions from one address; more get 421. Loopback clients all share 127.0.0.1,
  // so this must stay above the local worker's SMTP concurrency.
  int max_connections_per_client = 128;
  SmtpConnectionOptions connection;
};

class SmtpServer {
 public:
  // The pointers must outlive the server.
  SmtpServer(SmtpServerOptions options, Provider* provider, SinkCounters* counters,
             const Clock* clock);
  ~SmtpServer();
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  // Binds and listens. Returns an error naming the address (e.g. the port is busy).
  Status Listen();
  // Returns the bound port (the chosen one when options.port was 0). REQUIRES: Listen() ok.
  int port() const {
    FIB_REQUIRE(port_ > 0);
    return port_;
  }
  // Returns the SMTPS port, or 0 when there is none.
  int smtps_port() const { return smtps_port_; }
  // Accepts connections until Stop; then waits for every session to end and returns.
  void Serve();
  // Stops accepting, tells every session to say 421 and close, interrupts provider delays.
  void Stop();

 private:
  // Binds and listens on `port`; returns the socket. `flag` names the port in errors.
  Result<int> ListenOn(int port, const char* flag);
  void Accept(int listen_fd, bool implicit_tls);
  void StartSession(int fd, const std::string& host, std::string peer, bool implicit_tls);
  void RunSession(int fd, const std::string& host, std::string peer, bool implicit_tls);

  SmtpServerOptions options_;
  Provider* provider_;
  SinkCounters* counters_;
  const Clock* clock_;
  int listen_fd_ = -1;
  int smtps_listen_fd_ = -1;
  int smtps_port_ = 0;
  int wake_pipe_[2] = {-1, -1};  // Stop writes a byte to wake the accept loop
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable sessions_done_;
  std::set<int> session_fds_;                       // guarded by mutex_
  std::map<std::string, int> sessions_per_client_;  // by client address; guarded by mutex_
};

}  // namespace fib
