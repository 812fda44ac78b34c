// libFuzzer target for ParseRedisUrl (cmake -DFIBTASTIC_FUZZ=ON with clang): any text gives a
// RedisUrl or an error, and no password ever shows in Redacted(), RedactUrlText() or an error.
// Input: "<password bytes>\0<rest of the URL>"; the whole input is also parsed as a URL itself.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/redis/redis_url.h"

namespace {

// Starts every planted password; no URL syntax, error text or host name contains it.
constexpr char kMarker[] = "\x01SeCrEt";

void Check(bool condition) {
  if (!condition) std::abort();
}

// Whatever parses: the password must not influence Redacted() beyond "there is one".
void CheckParsedUrl(const std::string& input) {
  auto parsed = fib::ParseRedisUrl(input);
  if (!parsed.ok()) {
    Check(!parsed.message().empty());
    return;
  }
  Check(parsed->port >= 1 && parsed->port <= 65535 && parsed->db >= 0);
  fib::RedisUrl other = *parsed;
  if (!other.password.empty()) other.password = "x";
  Check(other.Redacted() == parsed->Redacted());
}

// Plants a password (kMarker + the fuzzer's bytes) and checks nothing we print shows it.
void CheckPlantedPassword(const std::string& password_tail, const std::string& rest) {
  if (rest.find(kMarker) != std::string::npos) return;
  std::string url = "redis://:" + std::string(kMarker) + password_tail + "@" + rest;
  auto parsed = fib::ParseRedisUrl(url);
  std::string shown = parsed.ok() ? parsed->Redacted() : parsed.message();
  Check(shown.find(kMarker) == std::string::npos);
  Check(fib::RedactUrlText(url).find(kMarker) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  CheckParsedUrl(input);
  size_t nul = input.find('\0');
  if (nul == std::string::npos) {
    CheckPlantedPassword("", input);
  } else {
    CheckPlantedPassword(input.substr(0, nul), input.substr(nul + 1));
  }
  return 0;
}
