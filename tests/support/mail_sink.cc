#include "tests/support/mail_sink.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/support/ports.h"

namespace fib::test {
namespace {

// A fresh client per call: the helpers stay const, and no keep-alive connection of ours shows
// up in the sink's connection counts.
httplib::Client InboxClient(int http_port) {
  httplib::Client client("127.0.0.1", http_port);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(10, 0);
  return client;
}

}  // namespace

MailSink::MailSink(std::vector<std::string> flags)
    : smtp_port_(FreePort()), http_port_(FreePort()) {
  std::vector<std::string> argv = {BinPath("fibtastic-mailsink"), "--smtp-port",
                                   std::to_string(smtp_port_), "--http-port",
                                   std::to_string(http_port_)};
  argv.insert(argv.end(), flags.begin(), flags.end());
  process_ = std::make_unique<Subprocess>(argv);
  if (!WaitForPort(smtp_port_, 10000) || !WaitForPort(http_port_, 10000)) {
    FAIL("fibtastic-mailsink did not start:\n" << process_->Log());
  }
}

httplib::Result MailSink::Get(const std::string& path) const {
  return InboxClient(http_port_).Get(path);
}

httplib::Result MailSink::Delete(const std::string& path) const {
  return InboxClient(http_port_).Delete(path);
}

httplib::Result MailSink::Put(const std::string& path, const std::string& body,
                              const std::string& content_type,
                              const httplib::Headers& headers) const {
  return InboxClient(http_port_).Put(path, headers, body, content_type);
}

nlohmann::json MailSink::SetChaos(const nlohmann::json& config) const {
  auto response = Put("/api/chaos", config.dump());
  if (!response) FAIL("PUT /api/chaos: " << httplib::to_string(response.error()) << "\n" << Log());
  INFO("PUT /api/chaos " << config.dump() << " answered " << response->status << ": "
                         << response->body.substr(0, 400));
  REQUIRE(response->status == 200);
  return nlohmann::json::parse(response->body);
}

nlohmann::json MailSink::GetJson(const std::string& path, int expect_status) const {
  auto response = Get(path);
  if (!response) {
    FAIL("GET " << path << ": " << httplib::to_string(response.error()) << "\n" << Log());
  }
  INFO("GET " << path << " answered " << response->status << ": " << response->body.substr(0, 400));
  REQUIRE(response->status == expect_status);
  REQUIRE(response->get_header_value("Content-Type") == "application/json");
  return nlohmann::json::parse(response->body);
}

nlohmann::json MailSink::WaitForMessages(size_t count, int timeout_ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  nlohmann::json messages = Messages();
  while (messages.size() < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    messages = Messages();
  }
  return messages;
}

}  // namespace fib::test
