// SmtpConnection: runs one accepted SMTP socket — feeds what arrives to an SmtpSession, writes
// its replies in order (so pipelined commands work), hands completed messages to the Provider,
// and enforces two deadlines: the idle timeout (no progress for idle_timeout_ms, see
// SmtpSession::progress_lines: NOOP and friends do not count) and the session timeout (the
// whole conversation, however busy). Either ends it with 421. With a TlsContext it runs STARTTLS
// (or implicit TLS from the first byte), the handshake bounded by the same deadlines. The server
// gives each connection its own thread.
// Thread-safety: Run on one thread; the `stopping` flag may be set from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "mailsink/provider.h"
#include "mailsink/sink_counters.h"
#include "mailsink/smtp_session.h"
#include "mailsink/tls_context.h"

namespace fib {

struct SmtpConnectionOptions {
  // A session that makes no progress (SmtpSession::progress_lines) for this long gets 421 and is
  // closed, so a client that trickles bytes (slowloris) or sends only NOOPs cannot hold a
  // thread forever. Also bounds each blocked write. REQUIRES: 1..kMaxTimeoutMs (7 days).
  int64_t idle_timeout_ms = 5 * 60 * 1000;
  // The whole session's deadline, however much progress it makes: then 421 and close (checked
  // while waiting for input, so a delivery in progress is finished first). Same bounds.
  int64_t session_timeout_ms = 10 * 60 * 1000;
  // Null: no TLS (STARTTLS answered 502). Set: STARTTLS offered (session.starttls_offered must
  // be true too) and implicit TLS possible.
  std::shared_ptr<const TlsContext> tls = nullptr;
  SmtpSessionOptions session;
};

class SmtpConnection {
 public:
  // `fd` is a connected socket (the caller closes it after Run). The pointers must outlive Run.
  // `implicit_tls`: the TLS handshake comes first (SMTPS); REQUIRES options.tls then.
  SmtpConnection(int fd, std::string peer, const SmtpConnectionOptions& options, Provider* provider,
                 SinkCounters* counters, const Clock* clock, const std::atomic<bool>* stopping,
                 bool implicit_tls = false);

  // Converses until QUIT, disconnect, idle timeout or shutdown (a read shutdown of the socket
  // wakes it; it then says 421 and returns).
  void Run();

 private:
  // Feeds one chunk; returns false when the conversation is over.
  bool HandleBytes(std::string_view bytes);
  // Passes the completed message to the provider; returns false after a 421.
  bool DeliverMessage();
  bool Write(std::string_view bytes);
  // Runs the TLS handshake within the nearer deadline; returns false (connection over) on failure.
  bool StartTls();
  // Milliseconds left until the nearer of the idle and session deadlines (<= 0: passed).
  int64_t MillisLeft() const;
  // Waits up to the nearer deadline for input; returns bytes read, 0 on close or error,
  // kIdleTimeout or kSessionTimeout.
  long ReadSome(char* buffer, size_t size);
  static constexpr long kIdleTimeout = -1;
  static constexpr long kSessionTimeout = -2;
  void NoteProgress();
  // Returns true when the session just entered DATA and the chaos settings drop this message's
  // connection now (right after the 354: the client is mid-DATA).
  bool DropInData();

  int fd_;
  std::string peer_;
  const SmtpConnectionOptions& options_;
  Provider* provider_;
  SinkCounters* counters_;
  const Clock* clock_;
  const std::atomic<bool>* stopping_;
  SmtpSession session_;
  bool implicit_tls_;
  std::unique_ptr<TlsStream> tls_;  // set once TLS is running
  uint64_t progress_seen_ = 0;
  uint64_t rejected_seen_ = 0;
  uint64_t auth_failures_seen_ = 0;
  int64_t last_progress_us_ = 0;
  int64_t started_us_ = 0;
  bool was_in_data_ = false;
};

}  // namespace fib
