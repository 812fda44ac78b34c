// SmtpCommand: splits an SMTP command line into its verb and arguments, parses the
// "FROM:<path> params" / "TO:<path> params" arguments of MAIL and RCPT (RFC 5321 §4.1.2), and
// decodes AUTH's base64 responses (RFC 4954).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace fib {

struct SmtpCommand {
  std::string verb;       // upper-cased, e.g. "MAIL"
  std::string_view args;  // the rest of the line after one space (a view into the line)
};

// Splits "mail FROM:<a@b>" into {"MAIL", "FROM:<a@b>"}.
SmtpCommand SplitCommand(std::string_view line);

struct SmtpPathArgument {
  std::string address;  // without the angle brackets; "" for the null path <>
  std::vector<std::pair<std::string, std::string>> params;  // upper-cased keyword, value
};

// Parses `args` of MAIL (keyword "FROM") or RCPT (keyword "TO"): the keyword is matched
// case-insensitively, spaces after the colon and a bare address without brackets are tolerated
// (as Postfix does). Returns an error describing the expected syntax on malformed input.
Result<SmtpPathArgument> ParsePathArgument(std::string_view args, std::string_view keyword);

// Decodes standard base64 (RFC 4648, padding required, no whitespace) into `out`. Returns false
// on any other input. The output is at most 3/4 of the input, so it is as bounded as the line.
bool DecodeBase64(std::string_view in, std::string* out);

// Returns true when `a` and `b` are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace fib
