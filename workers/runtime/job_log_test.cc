// Unit tests of JobLog: lines keep Log()'s format and order, and reach the file only when
// flushed or when the buffer is full.
#include "workers/runtime/job_log.h"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"

using namespace fib;

namespace {

// A temporary file, removed when the object goes away.
struct TempFile {
  TempFile() {
    char name[] = "/tmp/job-log-test-XXXXXX";
    fd = mkstemp(name);
    REQUIRE(fd >= 0);
    path = name;
  }
  ~TempFile() {
    close(fd);
    unlink(path.c_str());
  }
  std::string Read() const {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  int fd;
  std::string path;
};

}  // namespace

TEST_CASE("lines are buffered until Flush and keep Log's format", "[joblog]") {
  TempFile file;
  JobLogOptions options;
  options.fd = file.fd;
  JobLog log(options);
  log.Add("NoopWorker jid=abc queue=default elapsed_ms=0.0 done");
  log.Add("second");
  CHECK(file.Read().empty());
  log.Flush();
  std::string text = file.Read();
  std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )" + LogProgram() +
                  R"(: NoopWorker jid=abc queue=default elapsed_ms=0\.0 done\n)"
                  R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )" +
                  LogProgram() + R"(: second\n)");
  CHECK(std::regex_match(text, line));
}

TEST_CASE("a full buffer is written without waiting for Flush", "[joblog]") {
  TempFile file;
  JobLogOptions options;
  options.fd = file.fd;
  options.max_buffer_bytes = 1024;
  JobLog log(options);
  for (int i = 0; i < 40; ++i) log.Add(std::string(40, 'x'));
  CHECK(file.Read().size() >= 1024);
}

TEST_CASE("lines from many threads are whole and each thread's stay in order", "[joblog]") {
  TempFile file;
  JobLogOptions options;
  options.fd = file.fd;
  options.max_buffer_bytes = 512;
  {
    JobLog log(options);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < 500; ++i) log.Add(fmt::format("t{} n{}", t, i));
      });
    }
    for (auto& thread : threads) thread.join();
  }  // the destructor flushes
  std::istringstream lines(file.Read());
  std::vector<int> next(4, 0);
  std::string text;
  int count = 0;
  std::regex shape(R"(.*Z \S+: t(\d) n(\d+))");
  while (std::getline(lines, text)) {
    std::smatch match;
    REQUIRE(std::regex_match(text, match, shape));
    int t = std::stoi(match[1]), n = std::stoi(match[2]);
    CHECK(n == next[t]);
    next[t] = n + 1;
    ++count;
  }
  CHECK(count == 2000);
}
