#include "common/redis/redis_url.h"

#include <charconv>
#include <cstring>

namespace fib {
namespace {

const char kProviderExplanation[] =
    "REDIS_PROVIDER should be set to the name of the variable which contains the Redis URL, not "
    "a URL itself.\nPlatforms like Heroku will sell addons that publish a *_URL variable.  You "
    "need to tell Sidekiq with REDIS_PROVIDER, e.g.:\n\n"
    "REDISTOGO_URL=redis://somehost.example.com:6379/4\nREDIS_PROVIDER=REDISTOGO_URL\n";

// Parses a whole decimal string into [min, max]; returns false otherwise.
bool ParseIntInRange(const std::string& text, int min, int max, int* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size() && *out >= min && *out <= max;
}

bool AllDigits(const std::string& text) {
  return text.find_first_not_of("0123456789") == std::string::npos;
}

// `echo_url` is false when the URL is malformed in a way that could put a password where we
// would otherwise print it (e.g. "redis://:secret/0" with the '@' forgotten).
Status UrlError(const std::string& url, const std::string& problem, bool echo_url = true) {
  std::string message = "bad Redis URL ";
  if (echo_url) {
    message.append("'").append(RedactUrlText(url)).append("'");
  } else {
    message.append("(not shown: it may hold a password)");
  }
  return Status::Error(message + ": " + problem +
                       " (expected redis://[[user]:password@]host[:port][/db], e.g. "
                       "redis://127.0.0.1:6379/0; set it with REDIS_URL or --redis-url)");
}

Status ParseUserInfo(const std::string& url, const std::string& userinfo, RedisUrl* out) {
  size_t colon = userinfo.find(':');
  std::string user = userinfo.substr(0, colon);
  std::string password = colon == std::string::npos ? "" : userinfo.substr(colon + 1);
  if (!PercentDecode(user, &out->username)) {
    return UrlError(url, "the user name has a malformed %-escape");
  }
  if (!PercentDecode(password, &out->password)) {
    return UrlError(url, "the password has a malformed %-escape");
  }
  return Status::Ok();
}

Status ParseHostPort(const std::string& url, const std::string& hostport, RedisUrl* out) {
  std::string port_text;
  if (!hostport.empty() && hostport[0] == '[') {  // [IPv6]:port
    size_t close = hostport.find(']');
    if (close == std::string::npos) return UrlError(url, "missing ']' after the IPv6 address");
    out->host = hostport.substr(1, close - 1);
    std::string rest = hostport.substr(close + 1);
    if (!rest.empty() && rest[0] != ':') return UrlError(url, "expected ':port' after ']'");
    if (!rest.empty()) port_text = rest.substr(1);
  } else {
    size_t colon = hostport.rfind(':');
    out->host = hostport.substr(0, colon);
    if (out->host.find(':') != std::string::npos) {  // "redis://:secret:6379" would show it
      return UrlError(url,
                      "the host has a ':' (is an '@' missing after a password? IPv6 "
                      "addresses go in [brackets])",
                      false);
    }
    if (colon != std::string::npos) port_text = hostport.substr(colon + 1);
    if (colon != std::string::npos && port_text.empty()) {
      return UrlError(url, "empty port after ':'");
    }
  }
  if (out->host.empty()) out->host = "127.0.0.1";
  if (!port_text.empty() && !AllDigits(port_text)) {
    return UrlError(url, "the port is not a number (is an '@' missing after a password?)", false);
  }
  if (!port_text.empty() && !ParseIntInRange(port_text, 1, 65535, &out->port)) {
    return UrlError(url, "bad port " + port_text + ": use a number from 1 to 65535");
  }
  return Status::Ok();
}

Status ParseDb(const std::string& url, std::string path, RedisUrl* out) {
  if (!path.empty() && path[0] == '/') path.erase(0, 1);
  if (!path.empty() && path.back() == '/') path.pop_back();
  if (path.empty()) return Status::Ok();
  if (!AllDigits(path) || !ParseIntInRange(path, 0, 1 << 20, &out->db)) {
    return UrlError(url, "bad database number after the host: use a number such as /0");
  }
  return Status::Ok();
}

}  // namespace

std::string RedisUrl::Redacted() const {
  std::string auth;
  if (!password.empty()) auth = username + ":***@";
  std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "redis://" + auth + shown_host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Result<RedisUrl> ParseRedisUrl(const std::string& url) {
  const std::string kScheme = "redis://";
  if (url.rfind("rediss://", 0) == 0) {
    return UrlError(url, "TLS (rediss://) is not supported; use redis:// on a trusted network");
  }
  if (url.rfind(kScheme, 0) != 0) return UrlError(url, "it must start with redis://");
  std::string rest = url.substr(kScheme.size());
  // An '@' after the authority means a password with a raw '/', '?' or '#': parsed as it
  // stands, part of the password would become the host or path and be shown in messages.
  size_t authority_end = rest.find_first_of("/?#");
  if (authority_end != std::string::npos && rest.find('@', authority_end) != std::string::npos) {
    return UrlError(url,
                    "an '@' follows a '/', '?' or '#'; if the password holds one of these, "
                    "%-encode it (%2F, %3F, %23)",
                    false);
  }
  rest = rest.substr(0, rest.find_first_of("?#"));  // options are not used
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  RedisUrl out;
  size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    Status status = ParseUserInfo(url, authority.substr(0, at), &out);
    if (!status.ok()) return status;
    authority = authority.substr(at + 1);
  }
  Status status = ParseHostPort(url, authority, &out);
  if (!status.ok()) return status;
  status = ParseDb(url, path, &out);
  if (!status.ok()) return status;
  return out;
}

Result<std::string> ResolveRedisUrl(const std::string& flag_value,
                                    const std::function<const char*(const char*)>& getenv_fn) {
  if (!flag_value.empty()) return flag_value;
  auto env = [&](const char* name) -> std::string {
    const char* value = getenv_fn(name);
    return value ? value : "";
  };
  std::string provider = env("REDIS_PROVIDER");
  if (provider.find(':') != std::string::npos) return Status::Error(kProviderExplanation);
  if (!provider.empty()) {
    std::string value = env(provider.c_str());
    if (!value.empty()) return value;
  }
  std::string value = env("REDIS_URL");
  if (!value.empty()) return value;
  return std::string(kDefaultRedisUrl);
}

}  // namespace fib
