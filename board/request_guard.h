// RequestGuard: decides whether a request may use the lesson board's control endpoints (those that
// start processes, send mail or change the mail provider), so that a page on another site cannot
// drive a board on the instructor's loopback (docs/lesson-board.md, "Security").
// Thread-safety: immutable after construction; Check() from any thread.
#pragma once

#include <httplib.h>

#include <string>

namespace fib {

// What a refused request gets: an HTTP status and a sentence saying what was wrong.
struct GuardVerdict {
  int status = 0;       // 0: allowed; else 400, 403 or 415
  std::string message;  // why it was refused
  bool ok() const { return status == 0; }
};

class RequestGuard {
 public:
  // `token`: the per-run secret the page gets in its HTML; `port`: the board's own port.
  RequestGuard(std::string token, int port) : token_(std::move(token)), port_(port) {}

  // Host must name loopback with the board's own port (DNS rebinding); used for every request.
  GuardVerdict CheckHost(const httplib::Request& request) const;
  // For control endpoints: the Host check, an Origin (when present) equal to the board's own,
  // Content-Type application/json and the X-Board-Token header equal to the run's token.
  GuardVerdict CheckControl(const httplib::Request& request) const;

  const std::string& token() const { return token_; }

 private:
  std::string token_;
  int port_;
};

// Returns a fresh random token (32 hex digits from the kernel's random source).
std::string NewBoardToken();

}  // namespace fib
