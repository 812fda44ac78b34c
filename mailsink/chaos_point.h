// ChaosPoint and ChaosReply: where the chaos settings may fail an SMTP conversation and what is
// said instead, shared by the pure SmtpSession (its fault hook) and Chaos.
// Thread-safety: value types.
#pragma once

#include <cstddef>
#include <string>

namespace fib {

// Where a per-step fault can be injected: at accept (before a session starts), at the greeting,
// and at each command once it has been checked and would otherwise be accepted.
enum class ChaosPoint { kConnect, kGreeting, kEhlo, kAuth, kMail, kRcpt, kDataEnd };
inline constexpr size_t kChaosPointCount = 7;
// Returns the JSON field name of `point` ("connect", ..., "data_end").
const char* ChaosPointName(ChaosPoint point);

// What the SMTP side does instead of its normal answer.
struct ChaosReply {
  int code = 0;        // SMTP reply code; 0 = close the connection without a word
  std::string text;    // after the code, with the enhanced status code
  bool close = false;  // close the connection after the reply (421, connect, greeting)
  // Returns "<code> <text>\r\n", or "" for a silent close.
  std::string Line() const { return code == 0 ? "" : std::to_string(code) + " " + text + "\r\n"; }
};

}  // namespace fib
