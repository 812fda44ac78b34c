// FlagSet: the one command-line parser every program uses, so each has the same --help layout
// (every flag with its unit and default) and the same exit codes (0 --help, 2 bad usage).
// Register flags bound to fields of an Options struct; the field's current value is the default.
// Thread-safety: single-threaded use (start-up).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace fib {

class FlagSet {
 public:
  // `usage` is the synopsis line after the program name, `about` a paragraph shown under it.
  FlagSet(std::string program, std::string usage, std::string about);

  // Each registration: long name without dashes, optional short letter (0 for none), target,
  // unit (shown in help, may be ""), help text. The default shown is the target's current value.
  // Flags whose unit is MS, S or SECONDS (either case) are durations: they also take "500ms",
  // "30s", "2m"; a bare number is in the flag's unit; a bad unit is an error naming the flag.
  void Int(const std::string& name, char short_name, int64_t* target, const std::string& unit,
           const std::string& help);
  void Int(const std::string& name, char short_name, int* target, const std::string& unit,
           const std::string& help);
  void Double(const std::string& name, char short_name, double* target, const std::string& unit,
              const std::string& help);
  void String(const std::string& name, char short_name, std::string* target,
              const std::string& unit, const std::string& help);
  // A repeatable flag; each occurrence appends. Default shown is the initial list.
  void StringList(const std::string& name, char short_name, std::vector<std::string>* target,
                  const std::string& unit, const std::string& help);
  // A switch without a value (--name sets true, --no-name sets false).
  void Bool(const std::string& name, char short_name, bool* target, const std::string& help);
  // Free text appended to --help (environment variables, examples).
  void Epilog(std::string text) { epilog_ = std::move(text); }

  // Parses argv. Non-flag arguments go to `positional` (error if positional is null).
  // Returns an error naming the flag and what is wrong. Sets help_requested() on -h/--help.
  Status Parse(int argc, char** argv, std::vector<std::string>* positional = nullptr);
  bool help_requested() const { return help_requested_; }
  std::string Usage() const;

  // Parse, and on --help print usage to stdout and exit(0); on error print
  // "<program>: <message>\nTry '<program> --help'." to stderr and exit(2).
  void ParseOrExit(int argc, char** argv, std::vector<std::string>* positional = nullptr);

 private:
  struct Flag {
    std::string name;
    char short_name;
    std::string unit;
    std::string help;
    std::string default_text;
    bool takes_value;
    std::function<Status(const std::string&)> set;
  };
  void Add(Flag flag);
  const Flag* Find(const std::string& name, bool* negated) const;

  std::string program_, usage_, about_, epilog_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
};

// Parses a whole decimal integer; error names `what` and the bad text.
Result<int64_t> ParseInt(const std::string& text, const std::string& what);
// Parses a finite decimal number; error names `what` and the bad text.
Result<double> ParseDouble(const std::string& text, const std::string& what);
// Parses a duration: a number with a unit suffix (us, ms, s, m, h: "500ms", "30s", "1.5m") or a
// bare number in `bare_unit_seconds` (e.g. 0.001 for a flag counted in ms). Returns seconds;
// negative, non-finite or unknown units are errors naming `what`.
Result<double> ParseDuration(const std::string& text, double bare_unit_seconds,
                             const std::string& what);

}  // namespace fib
