// MailSink: the real fibtastic-mailsink for one integration test, on free loopback ports, with
// helpers to read its HTTP inbox (/messages, /stats); stopped (SIGTERM) when it goes away. The one
// launcher of the mail sink: provider modes (--delay-ms, --fail-rate, --seed) and limits
// (--max-messages, ...) are its own flags, passed as they are.
// Thread-safety: one owner thread (the JSON helpers FAIL the test, so: test thread only).
#pragma once

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace fib::test {

class MailSink {
 public:
  // Starts fibtastic-mailsink with `flags` (e.g. {"--fail-rate", "0.3", "--delay-ms", "60"});
  // FAILs the test with the sink's log when its ports are not open within 10 s.
  explicit MailSink(std::vector<std::string> flags = {});

  int smtp_port() const { return smtp_port_; }
  int http_port() const { return http_port_; }
  std::string smtp_url() const { return "smtp://127.0.0.1:" + std::to_string(smtp_port_); }
  Subprocess& process() { return *process_; }
  std::string Log() const { return process_->Log(); }

  // Returns the whole HTTP response (status, headers, body) of GET / DELETE `path`.
  httplib::Result Get(const std::string& path) const;
  httplib::Result Delete(const std::string& path) const;
  // Returns the whole response of PUT `path` with `body`, `content_type` and extra `headers`.
  httplib::Result Put(const std::string& path, const std::string& body,
                      const std::string& content_type = "application/json",
                      const httplib::Headers& headers = {}) const;
  // PUTs `config` to /api/chaos (the provider failures) and returns the answer; FAILs the test
  // unless it is 200.
  nlohmann::json SetChaos(const nlohmann::json& config) const;
  // GETs `path` and parses the JSON body; FAILs the test unless the status is `expect_status`
  // and the body is application/json.
  nlohmann::json GetJson(const std::string& path, int expect_status = 200) const;
  // Returns GET /messages: summaries (id, from, to, subject, request_id, job_id, headers), oldest
  // first.
  nlohmann::json Messages() const { return GetJson("/messages"); }
  // Returns GET /messages/<id> (with the decoded body).
  nlohmann::json Message(int64_t id) const { return GetJson("/messages/" + std::to_string(id)); }
  // Returns GET /stats: received, failed_451, rejected, aborted, connection counts.
  nlohmann::json Stats() const { return GetJson("/stats"); }
  // Polls /messages until it holds at least `count` messages or timeout_ms passed; returns the
  // last list.
  nlohmann::json WaitForMessages(size_t count, int timeout_ms = 10000) const;

 private:
  int smtp_port_;
  int http_port_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace fib::test
