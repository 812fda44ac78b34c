// WebApp: a real fibtastic-web for one integration test on a free loopback port, inline or
// background, with small HTTP calls against it (cpp-httplib client, loopback only); stopped when
// it goes away. The one launcher of the web.
// Thread-safety: one owner thread for the object; HttpClient and the HTTP helpers are safe from
// any thread (each call uses its own client, no Catch2 macros).
#pragma once

#include <httplib.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace fib::test {

// Returns an HTTP client for 127.0.0.1:port with generous timeouts (slow CI machines).
std::unique_ptr<httplib::Client> HttpClient(int port, int read_timeout_s = 30);

class WebApp {
 public:
  // Starts fibtastic-web with `args` (after --port) and extra environment `env`; FAILs the test
  // with the web's log when it does not listen within 10 s.
  explicit WebApp(std::vector<std::string> args, std::map<std::string, std::string> env = {});
  // Returns `fibtastic-web --mode background` pushing to `redis_url` with `extra` flags, and
  // REDIS_URL / REDIS_PROVIDER cleared so the environment cannot redirect it.
  static WebApp Background(const std::string& redis_url, std::vector<std::string> extra = {});

  int port() const { return port_; }
  Subprocess& process() { return *process_; }
  // POSTs a url-encoded form / a JSON body to /sequences, with optional extra headers.
  httplib::Result PostForm(const std::string& body, httplib::Headers headers = {}) const;
  httplib::Result PostJson(const nlohmann::json& body, httplib::Headers headers = {}) const;
  httplib::Result Get(const std::string& path) const { return HttpClient(port_)->Get(path); }

 private:
  int port_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace fib::test
