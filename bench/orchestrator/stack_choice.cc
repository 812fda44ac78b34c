#include "bench/orchestrator/stack_choice.h"

#include <fmt/format.h>

#include <cctype>

#include "common/text.h"

namespace fib::bench {
namespace {

constexpr const char* kStackForms =
    "cpp, rails, rails-web+cpp-worker or cpp-web+rails-worker (comma-separated for side by "
    "side, e.g. cpp,rails)";

bool IsImpl(const std::string& s) { return s == "cpp" || s == "rails"; }

bool AllDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Splits "HOST:PORT" (the part after the scheme, before any path); returns an error message or "".
std::string CheckHostPort(const std::string& authority, const std::string& example) {
  size_t colon = authority.rfind(':');
  if (authority.empty() || colon == 0) return "has no host; write e.g. " + example;
  if (colon == std::string::npos) return "has no port; write e.g. " + example;
  for (char c : authority.substr(0, colon)) {
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return "has a space or control character in its host";
  }
  std::string port = authority.substr(colon + 1);
  if (!AllDigits(port) || port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535)
    return "has port '" + port + "', which is not a number from 1 to 65535";
  return "";
}

}  // namespace

Result<std::vector<StackChoice>> ParseStacks(const std::string& list) {
  std::vector<StackChoice> stacks;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string item = Trim(list.substr(start, comma == std::string::npos ? comma : comma - start));
    StackChoice c;
    c.name = item;
    if (item == "cpp" || item == "rails") {
      c.web = c.worker = item;
    } else {
      size_t plus = item.find('+');
      std::string web = item.substr(0, plus == std::string::npos ? 0 : plus);
      std::string worker = plus == std::string::npos ? "" : item.substr(plus + 1);
      const std::string web_suffix = "-web", worker_suffix = "-worker";
      bool ok = web.size() > web_suffix.size() && worker.size() > worker_suffix.size() &&
                web.compare(web.size() - web_suffix.size(), web_suffix.size(), web_suffix) == 0 &&
                worker.compare(worker.size() - worker_suffix.size(), worker_suffix.size(),
                               worker_suffix) == 0;
      if (ok) {
        c.web = web.substr(0, web.size() - web_suffix.size());
        c.worker = worker.substr(0, worker.size() - worker_suffix.size());
      }
      if (!ok || !IsImpl(c.web) || !IsImpl(c.worker)) {
        return Status::Error(
            fmt::format("--stack: unknown stack '{}'; accepted: {}", item, kStackForms));
      }
    }
    for (const auto& s : stacks) {
      if (s.name == c.name) return Status::Error("--stack: '" + item + "' is given twice");
    }
    stacks.push_back(c);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return stacks;
}

Result<std::string> ValidateHttpUrl(const std::string& flag, const std::string& url) {
  const std::string scheme = "http://";
  const std::string example = "http://127.0.0.1:3000";
  if (url.compare(0, scheme.size(), scheme) != 0) {
    return Status::Error(
        fmt::format("{}: '{}' is not an http:// URL (https is not supported: "
                    "measure the app behind its TLS terminator); write e.g. {}",
                    flag, url, example));
  }
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (authority.find('@') != std::string::npos) {
    return Status::Error(flag + ": '" + url + "' has user information; give the bare host:port");
  }
  std::string problem = CheckHostPort(authority, example);
  if (!problem.empty()) return Status::Error(fmt::format("{}: '{}' {}", flag, url, problem));
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (path.find_first_of("?# ") != std::string::npos) {
    return Status::Error(flag + ": '" + url + "' has a query, fragment or space in its path");
  }
  std::string base = url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

Result<std::string> ValidateRedisUrl(const std::string& url) {
  const std::string scheme = "redis://";
  const std::string example = "redis://127.0.0.1:6379/0";
  if (url.compare(0, scheme.size(), scheme) != 0) {
    return Status::Error("--redis-url: '" + url + "' is not a redis:// URL; write e.g. " + example);
  }
  std::string rest = url.substr(scheme.size());
  std::string authority = rest.substr(0, rest.find('/'));
  authority =
      authority.substr(authority.rfind('@') == std::string::npos ? 0 : authority.rfind('@') + 1);
  std::string problem = CheckHostPort(authority, example);
  if (!problem.empty()) return Status::Error("--redis-url: '" + url + "' " + problem);
  return url;
}

Result<std::map<std::string, std::string>> ParseTargets(const std::vector<std::string>& specs) {
  std::map<std::string, std::string> targets;
  for (const auto& spec : specs) {
    size_t eq = spec.find('=');
    std::string mode = spec.substr(0, eq);
    if (eq == std::string::npos || (mode != "inline" && mode != "background")) {
      return Status::Error("--target: '" + spec +
                           "' is not MODE=URL with MODE inline or background; write e.g. "
                           "--target inline=http://127.0.0.1:3000");
    }
    if (targets.count(mode)) return Status::Error("--target: " + mode + " is given twice");
    auto url = ValidateHttpUrl("--target " + mode, spec.substr(eq + 1));
    if (!url.ok()) return url.status();
    targets[mode] = *url;
  }
  for (const char* mode : {"inline", "background"}) {
    if (!targets.empty() && !targets.count(mode)) {
      return Status::Error(fmt::format(
          "--target: {0} is missing; the scenarios compare both variants, so give "
          "--target inline=URL and --target background=URL (the same URL twice is allowed)",
          mode));
    }
  }
  return targets;
}

Result<std::string> RailsProfile(const std::string& profile) {
  if (profile == "lesson") return std::string("lesson");
  if (profile == "fibtastic") return std::string("none");
  return Status::Error("the Rails app runs only the lesson and fibtastic profiles, not '" +
                       profile + "'");
}

}  // namespace fib::bench
