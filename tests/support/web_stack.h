// Helpers for the web app's integration tests: a real fibtastic-mailsink, a real fibtastic-web,
// and small HTTP calls against them (cpp-httplib client, loopback only).
// Thread-safety: one owner thread per object; the HTTP helpers are safe from any thread.
#pragma once

#include <httplib.h>

#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/ports.h"
#include "tests/support/subprocess.h"

namespace fib::test {

// Returns an HTTP client for 127.0.0.1:port with generous timeouts (slow CI machines).
inline std::unique_ptr<httplib::Client> HttpClient(int port, int read_timeout_s = 30) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(read_timeout_s, 0);
  return client;
}

// A fibtastic-mailsink on free ports; Messages() reads its inbox JSON.
class MailSink {
 public:
  explicit MailSink(std::vector<std::string> extra_args = {})
      : smtp_port_(FreePort()), http_port_(FreePort()) {
    std::vector<std::string> argv = {BinPath("fibtastic-mailsink"), "--smtp-port",
                                     std::to_string(smtp_port_), "--http-port",
                                     std::to_string(http_port_)};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<Subprocess>(argv);
    if (!WaitForPort(smtp_port_) || !WaitForPort(http_port_)) {
      FAIL("fibtastic-mailsink did not start:\n" << process_->Log());
    }
  }
  std::string smtp_url() const { return "smtp://127.0.0.1:" + std::to_string(smtp_port_); }
  int http_port() const { return http_port_; }
  // Returns the summaries from GET /messages (oldest first).
  nlohmann::json Messages() const {
    auto response = HttpClient(http_port_)->Get("/messages");
    REQUIRE(response);
    REQUIRE(response->status == 200);
    return nlohmann::json::parse(response->body);
  }
  // Returns GET /messages/{id} (with the body).
  nlohmann::json Message(int64_t id) const {
    auto response = HttpClient(http_port_)->Get("/messages/" + std::to_string(id));
    REQUIRE(response);
    REQUIRE(response->status == 200);
    return nlohmann::json::parse(response->body);
  }
  Subprocess& process() { return *process_; }

 private:
  int smtp_port_, http_port_;
  std::unique_ptr<Subprocess> process_;
};

// A fibtastic-web on a free port with the given flags (and environment).
class WebApp {
 public:
  explicit WebApp(std::vector<std::string> args, std::map<std::string, std::string> env = {})
      : port_(FreePort()) {
    std::vector<std::string> argv = {BinPath("fibtastic-web"), "--port", std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<Subprocess>(argv, env);
    if (!WaitForPort(port_)) FAIL("fibtastic-web did not start:\n" << process_->Log());
  }
  int port() const { return port_; }
  Subprocess& process() { return *process_; }
  // POSTs a url-encoded form to /sequences, with optional extra headers.
  httplib::Result PostForm(const std::string& body, httplib::Headers headers = {}) const {
    return HttpClient(port_)->Post("/sequences", headers, body,
                                   "application/x-www-form-urlencoded");
  }
  httplib::Result PostJson(const nlohmann::json& body, httplib::Headers headers = {}) const {
    return HttpClient(port_)->Post("/sequences", headers, body.dump(), "application/json");
  }
  httplib::Result Get(const std::string& path) const { return HttpClient(port_)->Get(path); }

 private:
  int port_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace fib::test
