// Unit tests of the chaos model: the token bucket and the outage window on a ManualClock, seeded
// draws, the strict JSON schema of PUT /api/chaos, the old flags as presets, the session hook.
#include "mailsink/chaos.h"

#include <catch2/catch.hpp>
#include <string>

#include "mailsink/chaos_config.h"
#include "mailsink/smtp_session.h"
#include "mailsink/token_bucket.h"

namespace fib {
namespace {

ChaosConfig Parsed(const std::string& text) {
  auto config = ParseChaosConfig(text);
  INFO(text << " -> " << config.status().message());
  REQUIRE(config.ok());
  return *config;
}

std::string ParseError(const std::string& text) {
  auto config = ParseChaosConfig(text);
  INFO(text);
  REQUIRE_FALSE(config.ok());
  return config.status().message();
}

TEST_CASE("TokenBucket allows the burst, then rate_per_s, on an injected clock", "[chaos]") {
  TokenBucket bucket(5, 2, 0);
  CHECK(bucket.TryTake(0));
  CHECK(bucket.TryTake(0));
  CHECK_FALSE(bucket.TryTake(0));
  CHECK_FALSE(bucket.TryTake(199999));  // 0.99 token
  CHECK(bucket.TryTake(200000));        // 1/5 s later: one token
  CHECK_FALSE(bucket.TryTake(200000));
  // A long pause refills to the burst only.
  CHECK(bucket.Available(100000000) == Approx(2));
  int taken = 0;
  for (int64_t t = 100000000; t < 110000000; t += 10000) taken += bucket.TryTake(t) ? 1 : 0;
  CHECK(taken == 2 + 50 - 1);       // 10 s at 5/s, plus the burst, minus the partial last token
  CHECK_FALSE(bucket.TryTake(50));  // a clock stepping back adds nothing
}

TEST_CASE("Outage window: refuse or 421 for for_s from the moment it is set, then normal",
          "[chaos]") {
  ManualClock clock;
  Chaos chaos(Parsed(R"({"outage":{"for_s":10,"mode":"refuse"}})"), 1, &clock);
  auto connect = chaos.OnConnect();
  REQUIRE(connect);
  CHECK(connect->code == 0);
  CHECK(connect->close);
  CHECK_FALSE(chaos.OnGreeting());                 // refuse mode acts at accept
  auto mail = chaos.OnCommand(ChaosPoint::kMail);  // a kept-alive connection meets it at MAIL
  REQUIRE(mail);
  CHECK(mail->close);
  clock.Advance(9999999);
  CHECK(chaos.OnConnect());
  clock.Advance(1);
  CHECK_FALSE(chaos.OnConnect());
  CHECK_FALSE(chaos.OnCommand(ChaosPoint::kMail));
  CHECK(chaos.counters().outage_refused == 3);

  chaos.Set(Parsed(R"({"outage":{"for_s":2.5}})"));  // 421 is the default mode
  CHECK_FALSE(chaos.OnConnect());
  auto greeting = chaos.OnGreeting();
  REQUIRE(greeting);
  CHECK(greeting->code == 421);
  CHECK(greeting->Line().rfind("421 4.3.2 ", 0) == 0);
  CHECK(chaos.StateJson()["outage_remaining_s"] == Approx(2.5));
  clock.Advance(2500000);
  CHECK_FALSE(chaos.OnGreeting());
  CHECK(chaos.StateJson()["outage_remaining_s"] == 0);
  CHECK(chaos.counters().outage_421 == 1);
}

TEST_CASE("Rate limit answers MAIL with 421 4.7.0 above the bucket and counts it", "[chaos]") {
  ManualClock clock;
  Chaos chaos(Parsed(R"({"rate_limit":{"per_s":5}})"), 1, &clock);  // burst defaults to 5
  int accepted = 0;
  for (int i = 0; i < 20; ++i) accepted += chaos.OnCommand(ChaosPoint::kMail) ? 0 : 1;
  CHECK(accepted == 5);
  auto limited = chaos.OnCommand(ChaosPoint::kMail);
  REQUIRE(limited);
  CHECK(limited->Line().rfind("421 4.7.0 Rate limit exceeded", 0) == 0);
  CHECK(limited->close);
  CHECK_FALSE(chaos.OnCommand(ChaosPoint::kRcpt));  // only MAIL takes tokens
  clock.Advance(1000000);
  for (int i = 0; i < 20; ++i) accepted += chaos.OnCommand(ChaosPoint::kMail) ? 0 : 1;
  CHECK(accepted == 10);
  CHECK(chaos.counters().rate_limited == 31);
}

std::string Outcomes(uint64_t seed, const std::string& config) {
  ManualClock clock;
  Chaos chaos(Parsed(config), seed, &clock);
  std::string out;
  for (int i = 0; i < 300; ++i) {
    out += chaos.OnCommand(ChaosPoint::kRcpt) ? 'R' : '.';
    out += chaos.DrawDisconnectMidData() ? 'D' : '.';
    out += std::to_string(chaos.DrawLatencyMs()) + ",";
  }
  return out;
}

TEST_CASE("Draws are reproducible for a seed, differ between seeds, and follow p", "[chaos]") {
  const std::string config =
      R"({"rcpt":{"code":450,"probability":0.3},"disconnect_mid_data":{"probability":0.1},
          "latency":{"ms":100,"jitter_ms":20}})";
  std::string a = Outcomes(7, config);
  CHECK(a == Outcomes(7, config));
  CHECK(a != Outcomes(8, config));
  // A seed in the document wins over the start seed, and Set reseeds.
  CHECK(Outcomes(1, R"({"seed":7,"rcpt":{"code":450,"probability":0.3}})") ==
        Outcomes(2, R"({"seed":7,"rcpt":{"code":450,"probability":0.3}})"));
  ManualClock clock;
  Chaos chaos(Parsed(config), 7, &clock);
  int rcpt = 0, drops = 0;
  for (int i = 0; i < 2000; ++i) {
    rcpt += chaos.OnCommand(ChaosPoint::kRcpt) ? 1 : 0;
    drops += chaos.DrawDisconnectMidData() ? 1 : 0;
    int64_t latency = chaos.DrawLatencyMs();
    CHECK((latency >= 80 && latency <= 120));
  }
  CHECK((rcpt > 500 && rcpt < 700));
  CHECK((drops > 140 && drops < 260));
  CHECK(chaos.counters().by_point[static_cast<size_t>(ChaosPoint::kRcpt)] == rcpt);
  CHECK(chaos.counters().disconnects_mid_data == drops);
  CHECK(chaos.counters().delayed_messages == 2000);
}

TEST_CASE("Per-step faults answer their code; 421 and connect/greeting close", "[chaos]") {
  ManualClock clock;
  Chaos chaos(Parsed(R"({"ehlo":{"code":554},"mail":{"code":451,"probability":1},
                        "auth":{"code":535},"data_end":{"code":421},"connect":{"code":450}})"),
              1, &clock);
  auto ehlo = chaos.OnCommand(ChaosPoint::kEhlo);
  REQUIRE(ehlo);
  CHECK(ehlo->Line().rfind("554 5.3.0 Permanent failure (injected at ehlo", 0) == 0);
  CHECK_FALSE(ehlo->close);
  CHECK(chaos.OnCommand(ChaosPoint::kMail)->Line().rfind("451 4.3.0 Temporary failure", 0) == 0);
  CHECK(chaos.OnCommand(ChaosPoint::kAuth)->code == 535);
  CHECK(chaos.OnDataEnd()->close);
  CHECK(chaos.OnConnect()->close);
  CHECK_FALSE(chaos.OnGreeting());
  CHECK(chaos.CountersJson()["ehlo"] == 1);
  chaos.Set(ChaosConfig{});  // cleared: normal service
  CHECK_FALSE(chaos.OnCommand(ChaosPoint::kMail));
  CHECK_FALSE(chaos.OnConnect());
  CHECK(chaos.StateJson()["config"] == nlohmann::json::object());
}

TEST_CASE("Chaos documents: round trip, and each bad field named with its range", "[chaos]") {
  const char* full =
      R"({"connect":{"code":421,"probability":0.5},"greeting":{"code":554,"probability":1},
          "ehlo":{"code":421,"probability":0.1},"auth":{"code":454,"probability":0.2},
          "mail":{"code":451,"probability":0.3},"rcpt":{"code":550,"probability":0.4},
          "data_end":{"code":452,"probability":0.6},"outage":{"for_s":10,"mode":"refuse"},
          "rate_limit":{"per_s":5,"burst":3},"disconnect_mid_data":{"probability":0.05},
          "latency":{"ms":100,"jitter_ms":25},"seed":42})";
  nlohmann::json doc = ChaosConfigJson(Parsed(full));
  CHECK(doc == nlohmann::json::parse(full));
  CHECK(ChaosConfigJson(Parsed("{}")) == nlohmann::json::object());
  CHECK(Parsed(R"({"mail":{"code":451}})").fault(ChaosPoint::kMail).probability == 1);

  CHECK(ParseError("").find("not valid JSON") != std::string::npos);
  CHECK(ParseError("[]").find("must be an object") != std::string::npos);
  CHECK(ParseError(R"({"nope":1})") ==
        "unknown chaos field 'nope' (allowed: connect, greeting, ehlo, auth, mail, rcpt, "
        "data_end, outage, rate_limit, disconnect_mid_data, latency, seed)");
  CHECK(ParseError(R"({"mail":{"code":451,"prob":1}})") ==
        "unknown chaos field 'prob' in 'mail' (allowed: code, probability)");
  CHECK(ParseError(R"({"mail":{"code":250}})") ==
        "chaos field 'mail.code' must be a whole number 400..599 (an SMTP reply code 4xx or "
        "5xx), got 250");
  CHECK(ParseError(R"({"mail":{"code":"451"}})").find("'mail.code' must be a whole number") !=
        std::string::npos);
  CHECK(ParseError(R"({"mail":{"code":451.5}})").find("'mail.code'") != std::string::npos);
  CHECK(ParseError(R"({"mail":{"probability":1}})").find("'mail.code' is required") !=
        std::string::npos);
  CHECK(ParseError(R"({"rcpt":{"code":451,"probability":1.5}})") ==
        "chaos field 'rcpt.probability' must be a number 0..1, got 1.5");
  CHECK(ParseError(R"({"outage":{"for_s":0}})")
            .find("'outage.for_s' must be a number > 0 and "
                  "<= 3600") != std::string::npos);
  CHECK(ParseError(R"({"outage":{"for_s":99999}})").find("'outage.for_s'") != std::string::npos);
  CHECK(ParseError(R"({"outage":{"for_s":5,"mode":"down"}})") ==
        "chaos field 'outage.mode' must be \"refuse\" or \"421\", got \"down\"");
  CHECK(ParseError(R"({"rate_limit":{"per_s":-1}})").find("'rate_limit.per_s'") !=
        std::string::npos);
  CHECK(ParseError(R"({"rate_limit":{"per_s":5,"burst":0}})").find("'rate_limit.burst'") !=
        std::string::npos);
  CHECK(ParseError(R"({"latency":{"ms":3600000,"jitter_ms":1}})").find("at most 3600000") !=
        std::string::npos);
  CHECK(ParseError(R"({"seed":-1})").find("'seed'") != std::string::npos);
  CHECK(ParseError(R"({"disconnect_mid_data":{}})").find("is required") != std::string::npos);
  CHECK(ParseError(std::string(5000, ' ') + "{}").find("at most 4096") != std::string::npos);
  CHECK(ParseError(std::string(100, '[') + std::string(100, ']'))
            .find("nests arrays/objects more than 8") != std::string::npos);
}

TEST_CASE("The presets --delay-ms and --fail-rate map to latency.ms and a 451 data_end",
          "[chaos]") {
  auto preset = ApplyProviderPresets({}, 60, 0.3);
  REQUIRE(preset.ok());
  CHECK(ChaosConfigJson(*preset) == nlohmann::json::parse(R"({"latency":{"ms":60,"jitter_ms":0},
                                  "data_end":{"code":451,"probability":0.3}})"));
  CHECK_FALSE(ApplyProviderPresets(Parsed(R"({"latency":{"ms":5}})"), 60, 0).ok());
  CHECK_FALSE(ApplyProviderPresets(Parsed(R"({"data_end":{"code":550}})"), 0, 0.1).ok());
  CHECK(ApplyProviderPresets(Parsed(R"({"data_end":{"code":550}})"), 60, 0).ok());
}

TEST_CASE("SmtpSession asks its fault hook only for commands it would accept", "[chaos]") {
  SmtpSession session;
  std::string asked;
  session.SetFaultHook([&asked](ChaosPoint point) -> std::optional<ChaosReply> {
    asked += ChaosPointName(point) + std::string(" ");
    if (point == ChaosPoint::kRcpt) return ChaosReply{450, "4.3.0 injected", false};
    if (point == ChaosPoint::kMail) return std::nullopt;
    return std::nullopt;
  });
  session.Feed("MAIL FROM:<a@x>\r\nEHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
  std::string replies = session.TakeReplies();
  CHECK(asked == "ehlo mail rcpt ");  // the MAIL before EHLO got 503 without asking
  CHECK(replies.find("450 4.3.0 injected\r\n") != std::string::npos);
  CHECK(replies.find("503 5.5.1 Error: need RCPT command") != std::string::npos);
  session.SetFaultHook([](ChaosPoint) { return ChaosReply{0, "", true}; });
  session.Feed("RCPT TO:<b@y>\r\n");
  CHECK(session.closed());
  CHECK(session.TakeReplies().empty());
}

}  // namespace
}  // namespace fib
