// Test helpers for the mail sink's integration tests: start the real fibtastic-mailsink on free
// ports, read its HTTP inbox, and talk raw SMTP over a socket.
// Thread-safety: each object belongs to one test thread.
#pragma once

#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace fib::test {

// The real mail sink on FreePort()s; stopped (SIGTERM) when the object goes away.
class SinkProcess {
 public:
  explicit SinkProcess(std::vector<std::string> extra_flags = {});

  int smtp_port() const { return smtp_port_; }
  int http_port() const { return http_port_; }
  std::string smtp_url() const { return "smtp://127.0.0.1:" + std::to_string(smtp_port_); }
  Subprocess& process() { return *process_; }
  std::string Log() const { return process_->Log(); }

  // GETs `path` and parses the JSON body; FAILs the test unless the status is `expect_status`.
  nlohmann::json GetJson(const std::string& path, int expect_status = 200);
  // Returns the whole HTTP response (status, headers, body) of GET `path`.
  httplib::Result Get(const std::string& path);
  httplib::Result Delete(const std::string& path);
  // Polls GET /messages until it holds `count` messages (or 10 s pass); returns the list.
  nlohmann::json WaitForMessages(size_t count);

 private:
  int smtp_port_;
  int http_port_;
  std::unique_ptr<Subprocess> process_;
  httplib::Client http_;
};

// A raw SMTP client over a blocking socket (reads time out after 10 s).
class RawSmtp {
 public:
  explicit RawSmtp(int port);
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
