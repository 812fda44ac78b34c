// SmtpSession: the server side of one SMTP conversation (RFC 5321) as a pure state machine —
// bytes in, replies and completed messages out, no sockets, no clock — so it can be unit tested
// and fuzzed. The socket side (SmtpConnection) feeds it and decides the fate of each message.
// Thread-safety: none; one session belongs to one connection (one thread at a time).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailsink/chaos_point.h"

namespace fib {

struct SmtpSessionOptions {
  std::string hostname = "fibtastic-mailsink";   // named in the greeting and EHLO reply
  int64_t max_message_bytes = 10 * 1024 * 1024;  // after dot-unstuffing, CRLF included (SIZE)
  int max_recipients = 100;                      // RCPT beyond this gets 452
  // RFC 5321 §4.5.3.1.4 requires accepting 512-octet command lines; we accept up to the text-line
  // limit so long addresses with parameters never fail. Both limits include the CRLF.
  size_t max_command_line_bytes = 1000;
  size_t max_text_line_bytes = 1000;  // RFC 5321 §4.5.3.1.6
  // AUTH PLAIN and LOGIN (RFC 4954) are always offered. Null `users`: any user name and password
  // are accepted (as mailcatcher and MailHog do); otherwise only these user -> password pairs
  // (535 5.7.8 for any other).
  std::shared_ptr<const std::map<std::string, std::string>> users = nullptr;
  bool require_auth = false;      // MAIL before a successful AUTH gets 530 5.7.0
  bool starttls_offered = false;  // the connection can run TLS: offer STARTTLS (RFC 3207)
  // MAIL and AUTH before TLS get 530 5.7.0, and AUTH is not advertised before it.
  bool require_tls = false;
};

// A message whose DATA ended successfully and now awaits the server's verdict.
struct SmtpEnvelopeMessage {
  std::string helo;                  // the name the client gave in HELO/EHLO
  std::string mail_from;             // reverse path without brackets ("" for <>)
  std::vector<std::string> rcpt_to;  // forward paths without brackets
  std::string data;                  // the message, dot-unstuffed, CRLF line ends
};

class SmtpSession {
 public:
  // kAuth: inside an AUTH exchange (the next line is a base64 response, not a command).
  // kStartTls: STARTTLS was accepted; the connection must discard any bytes the client sent
  // after that line (they were not protected: RFC 3207 §5, CVE-2011-0411), run the TLS
  // handshake, then call TlsStarted. Feed consumes nothing in this state.
  enum class State {
    kNeedHelo,
    kReady,
    kAuth,
    kMail,
    kRcpt,
    kData,
    kAwaitingVerdict,
    kStartTls,
    kClosed
  };

  explicit SmtpSession(SmtpSessionOptions options = {});

  // Asked at each injectable command (EHLO/HELO, AUTH, MAIL, RCPT) just before it would be
  // accepted; a reply it returns is sent instead (see Chaos). Unset: no faults.
  using FaultHook = std::function<std::optional<ChaosReply>(ChaosPoint)>;
  void SetFaultHook(FaultHook hook) { fault_hook_ = std::move(hook); }
  // Returns true when the fault hook answered for `point`: its reply is queued (none for a
  // silent close) and a closing reply ends the session.
  bool InjectFault(ChaosPoint point);

  // Returns the 220 greeting to send when the connection opens.
  std::string Greeting() const;

  // Consumes bytes from the client and queues replies (see TakeReplies). Stops early, returning
  // the number of bytes consumed, when a message completed (state kAwaitingVerdict: call
  // TakeMessage and FinishMessage, then feed the rest) or the client sent QUIT (kClosed).
  // Bytes of an unfinished line are kept inside, so any split of the stream gives the same result.
  size_t Feed(std::string_view bytes);

  // Returns the replies queued so far (CRLF-terminated lines) and clears the queue.
  std::string TakeReplies();

  // REQUIRES: state() == kAwaitingVerdict. Moves the completed message out.
  SmtpEnvelopeMessage TakeMessage();
  // REQUIRES: state() == kAwaitingVerdict. Queues the final reply to DATA (e.g. 250 or 451) and
  // ends the transaction; the client may start another with MAIL.
  void FinishMessage(int code, std::string_view text);

  // Starts the conversation afresh over TLS, as RFC 3207 requires: forgets EHLO, AUTH and any
  // partial line; STARTTLS is no longer offered. Call it after a successful handshake (in state
  // kStartTls, or at the very start of an implicit-TLS (SMTPS) connection).
  void TlsStarted();

  State state() const { return state_; }
  bool tls_active() const { return tls_active_; }
  bool authenticated() const { return authenticated_; }
  bool closed() const { return state_ == State::kClosed; }
  // Complete lines received so far.
  uint64_t lines_received() const { return lines_received_; }
  // Lines that moved the conversation towards a delivered message: the first HELO/EHLO, an
  // accepted MAIL, RCPT or DATA, every line of message text, QUIT. NOOP, RSET, HELP, VRFY,
  // repeated HELO/EHLO and every refused or unknown command are not progress, so a client
  // cannot hold a session open with them (the idle timeout counts from the last progress).
  uint64_t progress_lines() const { return progress_lines_; }
  // AUTH exchanges that ended in 535 (wrong user name or password).
  uint64_t auth_failures() const { return auth_failures_; }
  // Messages this session refused itself after DATA (too big, line too long) or at MAIL (SIZE).
  uint64_t messages_rejected() const { return messages_rejected_; }

 private:
  void OnLine(std::string_view line);
  void OnOverlongLine();
  void OnCommand(std::string_view line);
  void OnDataLine(std::string_view line);
  void OnEndOfData();
  void Helo(std::string_view verb, std::string_view args);
  void Mail(std::string_view args);
  void Rcpt(std::string_view args);
  void Data(std::string_view args);
  // AUTH mechanism [initial-response]: the one entry point of authentication (RFC 4954).
  void Auth(std::string_view args);
  // A response line inside an AUTH exchange (state kAuth).
  void OnAuthLine(std::string_view line);
  // Checks a decoded PLAIN response / LOGIN pair and ends the exchange with 235 or 535.
  void FinishAuth(std::string_view user, std::string_view password);
  void StartTls(std::string_view args);
  // Returns the 530 refusal when the session must first STARTTLS (require_tls), else "".
  const char* TlsRequiredRefusal() const;
  void ResetTransaction();
  void Reply(int code, std::string_view text);
  size_t LineLimit() const;

  SmtpSessionOptions options_;
  State state_ = State::kNeedHelo;
  std::string partial_line_;      // bytes after the last LF
  bool discarding_line_ = false;  // the current line overflowed; skip to its LF
  std::string replies_;
  std::string helo_;
  SmtpEnvelopeMessage message_;
  int64_t data_bytes_ = 0;
  bool data_too_big_ = false;
  bool data_line_too_long_ = false;
  uint64_t lines_received_ = 0;
  uint64_t progress_lines_ = 0;
  uint64_t messages_rejected_ = 0;
  uint64_t auth_failures_ = 0;
  bool tls_active_ = false;
  bool authenticated_ = false;
  enum class AuthStep { kPlain, kLoginUser, kLoginPassword } auth_step_ = AuthStep::kPlain;
  std::string auth_user_;  // LOGIN: the user name while the password is awaited
  FaultHook fault_hook_;
};

}  // namespace fib
