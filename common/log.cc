#include "common/log.h"

#include <sys/time.h>
#include <unistd.h>

#include "common/text.h"
#include "common/time_format.h"

namespace fib {
namespace {
std::string& Program() {
  static std::string name = "fibtastic";
  return name;
}
}  // namespace

void SetLogProgram(const std::string& name) { Program() = name; }

std::string LogProgram() { return Program(); }

void LogLine(const std::string& message) {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  std::string stamp = FormatUtc(tv.tv_sec, "%Y-%m-%dT%H:%M:%S");
  std::string line = fmt::format("{}.{:03d}Z {}: {}\n", stamp, static_cast<int>(tv.tv_usec / 1000),
                                 Program(), EscapeForLog(message));
  // One write so lines from different threads never interleave.
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace fib
