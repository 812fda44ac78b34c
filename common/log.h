// Log: one line per event on stderr, prefixed with UTC time and the program name.
// Thread-safe: each call writes its whole line with a single write(2).
#pragma once

#include <fmt/format.h>

#include <string>

namespace fib {

// Sets the name printed on every line (call once from main).
void SetLogProgram(const std::string& name);
// Returns the name set by SetLogProgram ("fibtastic" by default), for writers that buffer lines
// in LogLine's format themselves.
std::string LogProgram();
// Writes "2026-01-01T00:00:00.123Z program: message\n" to stderr.
void LogLine(const std::string& message);

template <typename... Args>
void Log(fmt::format_string<Args...> format, Args&&... args) {
  LogLine(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace fib
