// Mailsink: the whole mail sink — SMTP server, slow/failing provider, message ring and HTTP
// inbox — wired from one Options struct. main() only parses flags into MailsinkOptions.
// Thread-safety: Listen, Start and Wait from the owning thread; Stop from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "mailsink/chaos.h"
#include "mailsink/inbox_server.h"
#include "mailsink/message_store.h"
#include "mailsink/provider.h"
#include "mailsink/sink_counters.h"
#include "mailsink/smtp_server.h"

namespace fib {

struct MailsinkOptions {
  std::string bind_address = "127.0.0.1";
  int smtp_port = 1025;  // 0: any free port
  int http_port = 1080;  // 0: any free port
  std::string hostname = "fibtastic-mailsink";
  int64_t max_message_bytes = 10 * 1024 * 1024;
  int max_recipients = 100;
  int64_t max_messages = 10000;                 // kept in memory, oldest dropped first
  int64_t max_store_bytes = 256 * 1024 * 1024;  // memory for all kept messages, oldest dropped
  int64_t delay_ms = 0;  // the slow provider: hold each message before the final 250
  double fail_rate = 0;  // 0..1 answered 451 4.3.0
  int64_t seed = 0;      // for every chaos draw (--fail-rate too); 0 = random
  // Provider failures from the start (--chaos; PUT /api/chaos changes them later). delay_ms and
  // fail_rate are laid over it (ApplyProviderPresets).
  ChaosConfig chaos;
  int64_t idle_timeout_ms = 5 * 60 * 1000;      // no progress for this long: 421
  int64_t session_timeout_ms = 10 * 60 * 1000;  // whole-session deadline: 421
  int max_connections = 256;
  int max_connections_per_client = 128;  // concurrent sessions from one client address
};

// Upper bounds of the durations (so deadlines never overflow).
inline constexpr int64_t kMaxTimeoutMs = 7LL * 24 * 3600 * 1000;  // idle and session
inline constexpr int64_t kMaxDelayMs = 3600LL * 1000;             // --delay-ms

// Returns an error naming the first option out of range, with the allowed range (exit code 2).
Status ValidateMailsinkOptions(const MailsinkOptions& options);

class Mailsink {
 public:
  // `clock` must outlive the sink.
  explicit Mailsink(MailsinkOptions options, const Clock* clock = SystemClock::Default());
  ~Mailsink();

  // Binds both ports (no threads yet). Returns an error naming the busy/bad address.
  Status Listen();
  // Starts serving on background threads. REQUIRES: Listen() ok.
  void Start();
  // Stops both servers (sessions get 421); Wait then returns. Safe from any thread.
  void Stop();
  // Blocks until both servers have stopped and released their ports.
  void Wait();

  int smtp_port() const { return smtp_.port(); }
  int http_port() const { return inbox_.port(); }

 private:
  MailsinkOptions options_;
  MessageStore store_;
  SinkCounters counters_;
  Chaos chaos_;
  Provider provider_;
  SmtpServer smtp_;
  InboxServer inbox_;
  std::thread smtp_thread_;
  std::thread http_thread_;
};

}  // namespace fib
