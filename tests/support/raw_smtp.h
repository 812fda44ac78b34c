// RawSmtp: a raw SMTP client over a blocking loopback socket, for the tests that speak (or
// abuse) the protocol byte by byte against a MailSink.
// Thread-safety: one owner thread; TrySend is also safe on a helper thread.
#pragma once

#include <string>

namespace fib::test {

// A raw SMTP client over a blocking socket (reads time out after 10 s).
class RawSmtp {
 public:
  // Connects to 127.0.0.1:`port`, from `source_address` when given (another loopback address
  // such as "127.0.0.2" plays a second client machine).
  explicit RawSmtp(int port, const std::string& source_address = "");
  ~RawSmtp();
  RawSmtp(const RawSmtp&) = delete;
  RawSmtp& operator=(const RawSmtp&) = delete;

  // Sends bytes as they are; REQUIREs success (so: test thread only).
  void Send(const std::string& bytes);
  // Sends bytes; returns false on failure. Safe on a helper thread (no Catch2 macros).
  bool TrySend(const std::string& bytes);
  // Reads one reply (all lines of a multi-line reply); "" when the connection closed.
  std::string Reply();
  // Sends `line` + CRLF and returns the reply.
  std::string Command(const std::string& line);
  // Returns the reply code of Command(line) (0 when the connection closed).
  int Code(const std::string& line);
  // Returns true when the server has closed the connection (reads EOF within timeout_ms).
  bool ClosedByServer(int timeout_ms);
  // Closes our side now.
  void Close();

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace fib::test
