#include "mailsink/smtp_session.h"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "common/require.h"
#include "common/text.h"
#include "mailsink/smtp_command.h"

namespace fib {
namespace {

// Commands from RFC 5321 and common extensions that we know but do not offer: 502, not 500.
// (STARTTLS is among them when the connection has no TLS.)
constexpr std::array<std::string_view, 9> kNotImplemented = {
    "EXPN", "STARTTLS", "BDAT", "ETRN", "TURN", "ATRN", "SEND", "SOML", "SAML"};

bool IsNotImplemented(std::string_view verb) {
  for (std::string_view known : kNotImplemented) {
    if (verb == known) return true;
  }
  return false;
}

bool AllDigits(std::string_view text) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Compares without stopping at the first difference, so the reply time does not tell an
// attacker how much of a password was right.
bool SameSecret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (b.empty() ? 0 : b[i % b.size()]));
  }
  return diff == 0;
}

// Overwrites a decoded password before its memory is released.
void Wipe(std::string* secret) {
  volatile char* p = secret->data();
  for (size_t i = 0; i < secret->size(); ++i) p[i] = 0;
  secret->clear();
}

}  // namespace

SmtpSession::SmtpSession(SmtpSessionOptions options) : options_(std::move(options)) {}

bool SmtpSession::InjectFault(ChaosPoint point) {
  if (!fault_hook_) return false;
  std::optional<ChaosReply> reply = fault_hook_(point);
  if (!reply) return false;
  replies_ += reply->Line();
  if (reply->close) state_ = State::kClosed;
  return true;
}

std::string SmtpSession::Greeting() const {
  return fmt::format("220 {} ESMTP fibtastic-mailsink\r\n", options_.hostname);
}

size_t SmtpSession::LineLimit() const {
  return state_ == State::kData ? options_.max_text_line_bytes : options_.max_command_line_bytes;
}

size_t SmtpSession::Feed(std::string_view bytes) {
  size_t consumed = 0;
  while (consumed < bytes.size() && state_ != State::kAwaitingVerdict &&
         state_ != State::kStartTls && state_ != State::kClosed) {
    std::string_view rest = bytes.substr(consumed);
    size_t lf = rest.find('\n');
    if (lf == std::string_view::npos) {
      // No line end yet. Once the line cannot fit any more, stop buffering it (so a client
      // cannot make us hold an endless line) and skip to its end.
      if (!discarding_line_ && partial_line_.size() + rest.size() >= LineLimit()) {
        discarding_line_ = true;
        partial_line_.clear();
      }
      if (!discarding_line_) partial_line_.append(rest);
      return bytes.size();
    }
    consumed += lf + 1;
    std::string_view piece = rest.substr(0, lf);
    if (discarding_line_ || partial_line_.size() + piece.size() + 1 > LineLimit()) {
      discarding_line_ = false;
      partial_line_.clear();
      OnOverlongLine();
      continue;
    }
    partial_line_.append(piece);
    std::string_view line = partial_line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++lines_received_;
    OnLine(line);
    partial_line_.clear();
  }
  return consumed;
}

std::string SmtpSession::TakeReplies() { return std::exchange(replies_, std::string()); }

SmtpEnvelopeMessage SmtpSession::TakeMessage() {
  FIB_REQUIRE(state_ == State::kAwaitingVerdict);
  return std::exchange(message_, SmtpEnvelopeMessage());
}

void SmtpSession::FinishMessage(int code, std::string_view text) {
  Reply(code, text);
  ResetTransaction();
  state_ = State::kReady;
}

void SmtpSession::Reply(int code, std::string_view text) {
  replies_ += fmt::format("{} {}\r\n", code, text);
}

void SmtpSession::ResetTransaction() {
  message_ = SmtpEnvelopeMessage();
  data_bytes_ = 0;
  data_too_big_ = false;
  data_line_too_long_ = false;
}

void SmtpSession::OnLine(std::string_view line) {
  if (state_ == State::kData) {
    OnDataLine(line);
  } else if (state_ == State::kAuth) {
    OnAuthLine(line);
  } else {
    OnCommand(line);
  }
}

void SmtpSession::OnOverlongLine() {
  ++lines_received_;
  if (state_ == State::kData) {
    ++progress_lines_;  // message text, even if the message will be refused
    data_line_too_long_ = true;
    message_.data = std::string();
    return;
  }
  if (state_ == State::kAuth) {
    state_ = State::kReady;
    return Reply(500, "5.5.6 Authentication exchange line is too long");
  }
  Reply(500, fmt::format("5.5.2 Line too long (limit {} octets including CRLF)",
                         options_.max_command_line_bytes));
}

void SmtpSession::OnCommand(std::string_view line) {
  SmtpCommand command = SplitCommand(line);
  const std::string& verb = command.verb;
  if (verb == "HELO" || verb == "EHLO") {
    Helo(verb, command.args);
  } else if (verb == "MAIL") {
    Mail(command.args);
  } else if (verb == "RCPT") {
    Rcpt(command.args);
  } else if (verb == "DATA") {
    Data(command.args);
  } else if (verb == "AUTH") {
    Auth(command.args);
  } else if (verb == "STARTTLS" && options_.starttls_offered) {
    StartTls(command.args);
  } else if (verb == "RSET") {
    if (!command.args.empty()) return Reply(501, "5.5.4 Syntax: RSET");
    ResetTransaction();
    if (state_ != State::kNeedHelo) state_ = State::kReady;
    Reply(250, "2.0.0 Ok");
  } else if (verb == "NOOP") {
    Reply(250, "2.0.0 Ok");
  } else if (verb == "QUIT") {
    if (!command.args.empty()) return Reply(501, "5.5.4 Syntax: QUIT");
    ++progress_lines_;
    Reply(221, "2.0.0 Bye");
    state_ = State::kClosed;
  } else if (verb == "VRFY") {
    if (Trim(command.args).empty()) return Reply(501, "5.5.4 Syntax: VRFY address");
    Reply(252, "2.5.2 Cannot VRFY user, but will accept message and attempt delivery");
  } else if (verb == "HELP") {
    Reply(214, "2.0.0 Commands: HELO EHLO AUTH STARTTLS MAIL RCPT DATA RSET NOOP QUIT VRFY HELP");
  } else if (IsNotImplemented(verb)) {
    Reply(502, fmt::format("5.5.1 {} not implemented", verb));
  } else {
    Reply(500, line.empty() ? "5.5.2 Error: bad syntax" : "5.5.2 Error: command not recognized");
  }
}

void SmtpSession::Helo(std::string_view verb, std::string_view args) {
  std::string name = Trim(args);
  if (name.empty()) return Reply(501, fmt::format("5.5.4 Syntax: {} hostname", verb));
  if (InjectFault(ChaosPoint::kEhlo)) return;
  if (state_ == State::kNeedHelo) ++progress_lines_;
  helo_ = name;
  ResetTransaction();
  state_ = State::kReady;
  if (verb == "HELO") return Reply(250, options_.hostname);
  // PIPELINING is safe to offer: replies are produced strictly in command order, and the
  // connection keeps reading buffered commands after each reply.
  replies_ += fmt::format(
      "250-{} Hello {}\r\n250-SIZE {}\r\n250-8BITMIME\r\n250-PIPELINING\r\n"
      "250-ENHANCEDSTATUSCODES\r\n",
      options_.hostname, name, options_.max_message_bytes);
  if (options_.starttls_offered && !tls_active_) replies_ += "250-STARTTLS\r\n";
  // With --require-tls, AUTH is advertised only under TLS, so clients never offer a password
  // in clear text (as Postfix's smtpd_tls_auth_only).
  if (TlsRequiredRefusal() == nullptr) replies_ += "250-AUTH PLAIN LOGIN\r\n";
  replies_ += "250 HELP\r\n";
}

const char* SmtpSession::TlsRequiredRefusal() const {
  if (!options_.require_tls || tls_active_) return nullptr;
  return "5.7.0 Must issue a STARTTLS command first";
}

void SmtpSession::StartTls(std::string_view args) {
  if (!args.empty()) return Reply(501, "5.5.4 Syntax: STARTTLS");
  if (tls_active_) return Reply(503, "5.5.1 Error: TLS already active");
  if (state_ == State::kNeedHelo) return Reply(503, "5.5.1 Error: send HELO/EHLO first");
  if (state_ != State::kReady) return Reply(503, "5.5.1 Error: STARTTLS inside a mail transaction");
  ++progress_lines_;
  Reply(220, "2.0.0 Ready to start TLS");
  state_ = State::kStartTls;
}

void SmtpSession::TlsStarted() {
  FIB_REQUIRE(state_ == State::kStartTls || (state_ == State::kNeedHelo && helo_.empty()));
  tls_active_ = true;
  authenticated_ = false;
  helo_.clear();
  partial_line_.clear();
  discarding_line_ = false;
  ResetTransaction();
  state_ = State::kNeedHelo;
}

void SmtpSession::Auth(std::string_view args) {
  std::string_view trimmed = args;
  size_t space = trimmed.find(' ');
  std::string_view mechanism = trimmed.substr(0, space);
  std::string_view initial = space == std::string_view::npos ? "" : trimmed.substr(space + 1);
  if (mechanism.empty()) return Reply(501, "5.5.4 Syntax: AUTH mechanism [initial-response]");
  if (state_ == State::kNeedHelo) return Reply(503, "5.5.1 Error: send EHLO first");
  if (const char* refusal = TlsRequiredRefusal()) return Reply(530, refusal);
  if (authenticated_) return Reply(503, "5.5.1 Error: already authenticated");
  if (state_ != State::kReady) return Reply(503, "5.5.1 Error: AUTH inside a mail transaction");
  if (EqualsIgnoreCase(mechanism, "PLAIN")) {
    auth_step_ = AuthStep::kPlain;
  } else if (EqualsIgnoreCase(mechanism, "LOGIN")) {
    auth_step_ = AuthStep::kLoginUser;
  } else {
    return Reply(504, "5.5.4 Unrecognized authentication type (use PLAIN or LOGIN)");
  }
  if (InjectFault(ChaosPoint::kAuth)) return;
  state_ = State::kAuth;
  if (initial.empty()) {
    // PLAIN's empty challenge; LOGIN's "Username:".
    return Reply(334, auth_step_ == AuthStep::kPlain ? "" : "VXNlcm5hbWU6");
  }
  OnAuthLine(initial);
}

void SmtpSession::OnAuthLine(std::string_view line) {
  if (line == "*") {
    state_ = State::kReady;
    return Reply(501, "5.0.0 Authentication cancelled");
  }
  std::string decoded;
  // "=" is an empty initial response (RFC 4954 §4).
  if (line != "=" && !DecodeBase64(line, &decoded)) {
    state_ = State::kReady;
    return Reply(501, "5.5.2 Cannot decode the base64 response");
  }
  if (auth_step_ == AuthStep::kLoginUser) {
    auth_user_ = std::move(decoded);
    auth_step_ = AuthStep::kLoginPassword;
    return Reply(334, "UGFzc3dvcmQ6");  // "Password:"
  }
  if (auth_step_ == AuthStep::kLoginPassword) {
    FinishAuth(auth_user_, decoded);
  } else {
    // PLAIN: authorization identity NUL user NUL password.
    size_t first = decoded.find('\0');
    size_t second = first == std::string::npos ? first : decoded.find('\0', first + 1);
    if (second == std::string::npos) {
      state_ = State::kReady;
      Wipe(&decoded);
      return Reply(501, "5.5.2 Malformed PLAIN response (authzid NUL user NUL password)");
    }
    std::string_view view = decoded;
    FinishAuth(view.substr(first + 1, second - first - 1), view.substr(second + 1));
  }
  Wipe(&decoded);
}

void SmtpSession::FinishAuth(std::string_view user, std::string_view password) {
  state_ = State::kReady;
  bool ok = !user.empty();
  if (ok && options_.users) {
    auto found = options_.users->find(std::string(user));
    ok = found != options_.users->end() && SameSecret(password, found->second);
  }
  Wipe(&auth_user_);
  if (!ok) {
    ++auth_failures_;
    return Reply(535, "5.7.8 Authentication credentials invalid");
  }
  authenticated_ = true;
  ++progress_lines_;
  Reply(235, "2.7.0 Authentication successful");
}

void SmtpSession::Mail(std::string_view args) {
  if (state_ == State::kNeedHelo) return Reply(503, "5.5.1 Error: send HELO/EHLO first");
  if (const char* refusal = TlsRequiredRefusal()) return Reply(530, refusal);
  if (options_.require_auth && !authenticated_) {
    return Reply(530, "5.7.0 Authentication required");
  }
  if (state_ != State::kReady) return Reply(503, "5.5.1 Error: nested MAIL command");
  auto path = ParsePathArgument(args, "FROM");
  if (!path.ok()) return Reply(501, "5.5.4 Syntax: MAIL FROM:<address> (" + path.message() + ")");
  for (const auto& [key, value] : path->params) {
    if (key == "SIZE") {
      if (!AllDigits(value)) return Reply(501, "5.5.4 Syntax: SIZE=<octets>");
      if (std::stoll(value) > options_.max_message_bytes) {
        ++messages_rejected_;
        return Reply(552, fmt::format("5.3.4 Message size exceeds fixed limit of {} octets",
                                      options_.max_message_bytes));
      }
    } else if (key == "BODY") {
      if (!EqualsIgnoreCase(value, "7BIT") && !EqualsIgnoreCase(value, "8BITMIME")) {
        return Reply(501, "5.5.4 Unsupported BODY type (use 7BIT or 8BITMIME)");
      }
    } else {
      return Reply(555, "5.5.4 Unsupported MAIL parameter " + key);
    }
  }
  if (InjectFault(ChaosPoint::kMail)) return;
  ResetTransaction();
  message_.mail_from = path->address;
  ++progress_lines_;
  state_ = State::kMail;
  Reply(250, "2.1.0 Ok");
}

void SmtpSession::Rcpt(std::string_view args) {
  if (state_ != State::kMail && state_ != State::kRcpt) {
    return Reply(503, "5.5.1 Error: need MAIL command");
  }
  auto path = ParsePathArgument(args, "TO");
  if (!path.ok()) return Reply(501, "5.5.4 Syntax: RCPT TO:<address> (" + path.message() + ")");
  if (path->address.empty()) return Reply(501, "5.1.3 Bad recipient address syntax");
  if (!path->params.empty()) {
    return Reply(555, "5.5.4 Unsupported RCPT parameter " + path->params.front().first);
  }
  if (static_cast<int>(message_.rcpt_to.size()) >= options_.max_recipients) {
    return Reply(
        452, fmt::format("4.5.3 Error: too many recipients (at most {})", options_.max_recipients));
  }
  if (InjectFault(ChaosPoint::kRcpt)) return;
  message_.rcpt_to.push_back(path->address);
  ++progress_lines_;
  state_ = State::kRcpt;
  Reply(250, "2.1.5 Ok");
}

void SmtpSession::Data(std::string_view args) {
  if (!args.empty()) return Reply(501, "5.5.4 Syntax: DATA");
  if (state_ == State::kMail) return Reply(503, "5.5.1 Error: need RCPT command");
  if (state_ != State::kRcpt) return Reply(503, "5.5.1 Error: need MAIL command");
  ++progress_lines_;
  state_ = State::kData;
  data_bytes_ = 0;
  Reply(354, "End data with <CR><LF>.<CR><LF>");
}

void SmtpSession::OnDataLine(std::string_view line) {
  ++progress_lines_;
  if (line == ".") return OnEndOfData();
  if (!line.empty() && line.front() == '.') line.remove_prefix(1);  // dot-unstuffing
  data_bytes_ += static_cast<int64_t>(line.size()) + 2;
  if (data_bytes_ > options_.max_message_bytes && !data_too_big_) {
    data_too_big_ = true;
    message_.data = std::string();  // release the memory now, keep reading to the final dot
  }
  if (data_too_big_ || data_line_too_long_) return;
  message_.data.append(line);
  message_.data.append("\r\n");
}

void SmtpSession::OnEndOfData() {
  if (!data_too_big_ && !data_line_too_long_) {
    message_.helo = helo_;
    state_ = State::kAwaitingVerdict;
    return;
  }
  ++messages_rejected_;
  if (data_too_big_) {
    FinishMessage(552, fmt::format("5.3.4 Message size exceeds fixed limit of {} octets",
                                   options_.max_message_bytes));
  } else {
    FinishMessage(552, fmt::format("5.6.0 Message has a line longer than {} octets (CRLF included)",
                                   options_.max_text_line_bytes));
  }
}

}  // namespace fib
