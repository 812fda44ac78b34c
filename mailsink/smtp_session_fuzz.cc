// libFuzzer target for SmtpSession (cmake -DFIBTASTIC_FUZZ=ON with clang): any byte stream must
// give well-formed replies, messages within the size limit, and the same conversation whether
// it arrives in one piece or in small chunks (the first input byte picks the chunk size). AUTH
// (with a user list) and STARTTLS are on; a STARTTLS is followed by TlsStarted at once.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "mailsink/smtp_session.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

// Checks every line is "ddd text\r\n" or "ddd-text\r\n" with a 2xx..5xx code.
void CheckReplies(const std::string& replies) {
  size_t start = 0;
  while (start < replies.size()) {
    size_t end = replies.find("\r\n", start);
    Check(end != std::string::npos && end - start >= 4);
    Check(replies[start] >= '2' && replies[start] <= '5');
    Check(replies[start + 3] == ' ' || replies[start + 3] == '-');
    start = end + 2;
  }
}

// Runs the whole conversation, accepting every message; returns a transcript of it.
std::string Converse(std::string_view input, size_t chunk) {
  fib::SmtpSessionOptions options;
  options.max_message_bytes = 2048;
  options.max_recipients = 3;
  options.max_command_line_bytes = 100;
  options.max_text_line_bytes = 120;
  options.starttls_offered = true;
  options.users = std::make_shared<const std::map<std::string, std::string>>(
      std::map<std::string, std::string>{{"u", "p"}});
  fib::SmtpSession session(options);
  std::string transcript;
  while (!input.empty() && !session.closed()) {
    std::string_view piece = input.substr(0, chunk);
    size_t used = session.Feed(piece);
    input.remove_prefix(used);
    std::string replies = session.TakeReplies();
    CheckReplies(replies);
    transcript += replies;
    if (session.state() == fib::SmtpSession::State::kAwaitingVerdict) {
      fib::SmtpEnvelopeMessage message = session.TakeMessage();
      Check(static_cast<int64_t>(message.data.size()) <= options.max_message_bytes);
      Check(!message.rcpt_to.empty() && message.rcpt_to.size() <= 3);
      transcript += "<" + message.mail_from + "|" + message.data + ">";
      session.FinishMessage(250, "2.0.0 Ok");
    } else if (session.state() == fib::SmtpSession::State::kStartTls) {
      // The connection would discard the rest of its buffer; the model goes on with it, so
      // both chunkings still see the same bytes.
      session.TlsStarted();
      transcript += "<tls>";
    } else {
      Check(used == piece.size() || session.closed());
    }
  }
  transcript += session.TakeReplies();
  return transcript;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = data[0] % 16 + 1;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  Check(Converse(input, input.size() + 1) == Converse(input, chunk));
  return 0;
}
