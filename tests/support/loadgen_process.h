// Helpers for the loadgen integration tests: run fibtastic-loadgen to completion and read its
// report JSON; start fibtastic-trivial-server on a free port.
// Thread-safety: one test thread.
#pragma once

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/ports.h"
#include "tests/support/subprocess.h"

namespace fib::test {

// The implicit noexcept move reaches nlohmann::json's assert_invariant, which only asserts.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct LoadgenRun {
  int exit_code = -1;
  std::string output;     // stdout + stderr
  nlohmann::json report;  // --json, null when not written
};

inline std::string TempPath(const std::string& suffix) {
  static int counter = 0;
  return "/tmp/loadgen-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + suffix;
}

inline nlohmann::json ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str(), nullptr, false);
}

// The FibTastic form posted to a web app's /sequences, each email joined back from the mail
// sink: the arguments the end-to-end tests share. Add --redis-url and others to the result.
struct FormLoad {
  int web_port = 0;
  int mail_http_port = 0;
  int sequence_length = 5;
  std::string rate = "10";
  std::string duration = "3";
  std::string connections = "2";
  std::string threads = "1";
  std::string run_id = "e2e";
};

inline std::vector<std::string> FormLoadArgs(const FormLoad& load) {
  return {"--url",
          "http://127.0.0.1:" + std::to_string(load.web_port) + "/sequences",
          "--method",
          "POST",
          "--form",
          "--body",
          "email=u{n}%40example.com&sequence_length=" + std::to_string(load.sequence_length),
          "--rate",
          load.rate,
          "-c",
          load.connections,
          "-t",
          load.threads,
          "-d",
          load.duration,
          "--warmup",
          "1",
          "--mail",
          "http://127.0.0.1:" + std::to_string(load.mail_http_port),
          "--drain",
          "30",
          "--run-id",
          load.run_id};
}

// Runs fibtastic-loadgen with `args` (plus --json TEMP) and waits for it.
inline LoadgenRun RunLoadgen(std::vector<std::string> args, int timeout_ms = 120000) {
  std::string json_path = TempPath(".json");
  args.insert(args.begin(), BinPath("fibtastic-loadgen"));
  args.push_back("--json");
  args.push_back(json_path);
  LoadgenRun run;
  run.exit_code = RunCommand(args, &run.output, timeout_ms);
  run.report = ReadJsonFile(json_path);
  std::remove(json_path.c_str());
  return run;
}

// A fibtastic-trivial-server on a free port, with extra flags.
struct TrivialServer {
  explicit TrivialServer(std::vector<std::string> flags = {}) : port(FreePort()) {
    std::vector<std::string> argv = {BinPath("fibtastic-trivial-server"), "--port",
                                     std::to_string(port)};
    argv.insert(argv.end(), flags.begin(), flags.end());
    process = std::make_unique<Subprocess>(argv);
    WaitForPort(port);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/"; }
  int port;
  std::unique_ptr<Subprocess> process;
};

}  // namespace fib::test
