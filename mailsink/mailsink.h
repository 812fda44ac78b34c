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
#include "mailsink/tls_context.h"

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
  // SMTP AUTH and TLS (docs/mail-sink.md). AUTH PLAIN/LOGIN is always offered.
  std::string auth_file;      // "user:password" lines; "": any credentials are accepted
  bool require_auth = false;  // MAIL before AUTH: 530
  // Offer STARTTLS. Off by default, as mailcatcher: Rails' enable_starttls_auto would otherwise
  // try TLS against a certificate it cannot verify. Implied by every option below.
  bool tls = false;
  std::string tls_cert_file;  // PEM; "" (with tls_key_file ""): self-signed, made at start
  std::string tls_key_file;
  bool require_tls = false;  // MAIL and AUTH before STARTTLS: 530
  int smtps_port = 0;        // implicit TLS (SMTPS); 0: off
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

  // Loads the AUTH users and the TLS certificate, binds the ports (no threads yet). Returns an
  // error naming the bad file or the busy/bad address.
  Status Listen();
  // Starts serving on background threads. REQUIRES: Listen() ok.
  void Start();
  // Stops both servers (sessions get 421); Wait then returns. Safe from any thread.
  void Stop();
  // Blocks until both servers have stopped and released their ports.
  void Wait();

  int smtp_port() const { return smtp_->port(); }
  int smtps_port() const { return smtp_->smtps_port(); }
  // The TLS certificate's SHA-256 fingerprint, "" without TLS. REQUIRES: Listen() ok.
  std::string tls_fingerprint() const { return tls_ ? tls_->fingerprint_sha256() : ""; }
  bool tls_certificate_generated() const { return tls_ && tls_->generated(); }
  int http_port() const { return inbox_.port(); }

 private:
  bool TlsWanted() const;

  MailsinkOptions options_;
  MessageStore store_;
  SinkCounters counters_;
  Chaos chaos_;
  Provider provider_;
  const Clock* clock_;
  std::shared_ptr<const TlsContext> tls_;
  std::unique_ptr<SmtpServer> smtp_;  // made by Listen: AUTH users and TLS may fail to load
  InboxServer inbox_;
  std::thread smtp_thread_;
  std::thread http_thread_;
};

}  // namespace fib
