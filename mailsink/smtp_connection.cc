#include "mailsink/smtp_connection.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>

#include "common/require.h"

namespace fib {

SmtpConnection::SmtpConnection(int fd, std::string peer, const SmtpConnectionOptions& options,
                               Provider* provider, SinkCounters* counters, const Clock* clock,
                               const std::atomic<bool>* stopping, bool implicit_tls)
    : fd_(fd),
      peer_(std::move(peer)),
      options_(options),
      provider_(provider),
      counters_(counters),
      clock_(clock),
      stopping_(stopping),
      session_(options.session),
      implicit_tls_(implicit_tls) {
  FIB_REQUIRE(!implicit_tls || options.tls != nullptr);
  Chaos* chaos = provider->chaos();
  session_.SetFaultHook([chaos](ChaosPoint point) { return chaos->OnCommand(point); });
}

void SmtpConnection::Run() {
  // A client that stops reading must not block our writes beyond the idle timeout.
  timeval send_timeout{};
  send_timeout.tv_sec = static_cast<time_t>(options_.idle_timeout_ms / 1000);
  send_timeout.tv_usec = static_cast<suseconds_t>((options_.idle_timeout_ms % 1000) * 1000);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  started_us_ = clock_->MonotonicMicros();
  last_progress_us_ = started_us_;
  if (implicit_tls_ && !StartTls()) return;
  if (auto fault = provider_->chaos()->OnGreeting()) {
    Write(fault->Line());
    return;
  }
  if (!Write(session_.Greeting())) return;
  char buffer[16 * 1024];
  for (;;) {
    long n = ReadSome(buffer, sizeof buffer);
    if (stopping_->load()) {
      Write("421 4.3.2 Service shutting down, closing connection\r\n");
      return;
    }
    if (n == kIdleTimeout) {
      ++counters_->idle_timeouts;
      Write("421 4.4.2 Idle timeout exceeded (no progress), closing connection\r\n");
      return;
    }
    if (n == kSessionTimeout) {
      ++counters_->session_timeouts;
      Write("421 4.4.2 Session time limit exceeded, closing connection; please reconnect\r\n");
      return;
    }
    if (n == 0) {
      // Whatever was received of an unfinished message is dropped with the session.
      if (session_.state() == SmtpSession::State::kData) ++counters_->aborted;
      return;
    }
    if (!HandleBytes(std::string_view(buffer, static_cast<size_t>(n)))) return;
  }
}

bool SmtpConnection::HandleBytes(std::string_view bytes) {
  for (;;) {
    bytes.remove_prefix(session_.Feed(bytes));
    NoteProgress();
    if (!Write(session_.TakeReplies())) return false;
    if (DropInData()) return false;
    if (session_.state() == SmtpSession::State::kAwaitingVerdict) {
      if (!DeliverMessage()) return false;
      continue;  // write the verdict, then go on with any pipelined bytes
    }
    if (session_.closed()) return false;
    if (session_.state() == SmtpSession::State::kStartTls) {
      // Whatever followed STARTTLS was sent in clear text before the handshake: an attacker's
      // injected commands (CVE-2011-0411). Drop it; it must never run inside the TLS session.
      if (!bytes.empty()) ++counters_->starttls_injections;
      return StartTls();
    }
    if (bytes.empty()) return true;
  }
}

bool SmtpConnection::DeliverMessage() {
  int64_t data_end_at_us = clock_->NowMicros();
  SmtpVerdict verdict = provider_->Deliver(session_.TakeMessage(), peer_, data_end_at_us);
  session_.FinishMessage(verdict.code, verdict.text);
  // The provider's delay is our waiting, not the client's idleness.
  last_progress_us_ = clock_->MonotonicMicros();
  if (verdict.code != 421) return true;
  Write(session_.TakeReplies());
  return false;
}

bool SmtpConnection::StartTls() {
  auto stream = TlsStream::Accept(*options_.tls, fd_, std::max<int64_t>(MillisLeft(), 1));
  if (!stream.ok()) {
    ++counters_->tls_handshake_failures;
    return false;
  }
  ++counters_->tls_handshakes;
  tls_ = std::move(*stream);
  session_.TlsStarted();
  last_progress_us_ = clock_->MonotonicMicros();
  return true;
}

int64_t SmtpConnection::MillisLeft() const {
  int64_t now_us = clock_->MonotonicMicros();
  return std::min(options_.session_timeout_ms - (now_us - started_us_) / 1000,
                  options_.idle_timeout_ms - (now_us - last_progress_us_) / 1000);
}

bool SmtpConnection::DropInData() {
  bool in_data = session_.state() == SmtpSession::State::kData;
  bool entered = in_data && !was_in_data_;
  was_in_data_ = in_data;
  return entered && provider_->chaos()->DrawDisconnectMidData();
}

void SmtpConnection::NoteProgress() {
  if (session_.auth_failures() != auth_failures_seen_) {
    counters_->auth_failures +=
        static_cast<int64_t>(session_.auth_failures() - auth_failures_seen_);
    auth_failures_seen_ = session_.auth_failures();
  }
  uint64_t rejected = session_.messages_rejected();
  if (rejected != rejected_seen_) {
    counters_->rejected += static_cast<int64_t>(rejected - rejected_seen_);
    rejected_seen_ = rejected;
  }
  if (session_.progress_lines() != progress_seen_) {
    progress_seen_ = session_.progress_lines();
    last_progress_us_ = clock_->MonotonicMicros();
  }
}

bool SmtpConnection::Write(std::string_view bytes) {
  if (tls_) return tls_->Write(bytes, options_.idle_timeout_ms);
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

long SmtpConnection::ReadSome(char* buffer, size_t size) {
  for (;;) {
    int64_t now_us = clock_->MonotonicMicros();
    int64_t session_left_ms = options_.session_timeout_ms - (now_us - started_us_) / 1000;
    if (session_left_ms <= 0) return kSessionTimeout;
    int64_t left_ms = options_.idle_timeout_ms - (now_us - last_progress_us_) / 1000;
    if (left_ms <= 0) return kIdleTimeout;
    left_ms = std::min(left_ms, session_left_ms);
    // Decrypted bytes already buffered inside OpenSSL would not wake poll.
    if (tls_ && tls_->HasBuffered()) return tls_->Read(buffer, size);
    pollfd p{fd_, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left_ms, 60 * 1000)));
    if (ready < 0 && errno != EINTR) return 0;
    if (ready <= 0) continue;
    if (tls_) {
      long got = tls_->Read(buffer, size);
      if (got == TlsStream::kWouldBlock) continue;  // a partial TLS record: wait for the rest
      return got;
    }
    ssize_t n = recv(fd_, buffer, size, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    return n < 0 ? 0 : static_cast<long>(n);
  }
}

}  // namespace fib
