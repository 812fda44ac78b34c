#include "tests/support/web_app.h"

#include <catch2/catch.hpp>

#include "tests/support/ports.h"

namespace fib::test {

std::unique_ptr<httplib::Client> HttpClient(int port, int read_timeout_s) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(read_timeout_s, 0);
  return client;
}

WebApp::WebApp(std::vector<std::string> args, std::map<std::string, std::string> env)
    : port_(FreePort()) {
  std::vector<std::string> argv = {BinPath("fibtastic-web"), "--port", std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  process_ = std::make_unique<Subprocess>(argv, env);
  if (!WaitForPort(port_, 10000)) FAIL("fibtastic-web did not start:\n" << process_->Log());
}

WebApp WebApp::Background(const std::string& redis_url, std::vector<std::string> extra) {
  std::vector<std::string> args = {"--mode", "background", "--redis-url", redis_url};
  args.insert(args.end(), extra.begin(), extra.end());
  return WebApp(args, {{"REDIS_PROVIDER", ""}, {"REDIS_URL", ""}});
}

httplib::Result WebApp::PostForm(const std::string& body, httplib::Headers headers) const {
  return HttpClient(port_)->Post("/sequences", headers, body, "application/x-www-form-urlencoded");
}

httplib::Result WebApp::PostJson(const nlohmann::json& body, httplib::Headers headers) const {
  return HttpClient(port_)->Post("/sequences", headers, body.dump(), "application/json");
}

}  // namespace fib::test
