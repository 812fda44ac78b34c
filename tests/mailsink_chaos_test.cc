// Integration tests of the mail sink's provider failures (/api/chaos, --chaos) against the real
// fibtastic-mailsink: each fault point answers its code, the outage in both modes ends on time,
// PUT/GET/DELETE round trip with counters in /stats, hostile bodies change nothing, and a page
// on another site cannot switch chaos.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "common/smtp/smtp_mailer.h"
#include "tests/support/mail_sink.h"
#include "tests/support/polling.h"
#include "tests/support/raw_smtp.h"
#include "tests/support/subprocess.h"

namespace fib::test {
namespace {

using nlohmann::json;

// Sends one message over a raw session; returns the reply to the step that failed, or the
// final reply to DATA ("" when the connection closed).
std::string SendRaw(int port) {
  RawSmtp client(port);
  std::string greeting = client.Reply();
  if (greeting.rfind("220", 0) != 0) return greeting;
  for (const char* line : {"EHLO chaos.test", "MAIL FROM:<a@x.test>", "RCPT TO:<b@y.test>"}) {
    std::string reply = client.Command(line);
    if (reply.rfind("250", 0) != 0) return reply;
  }
  std::string data = client.Command("DATA");
  if (data.rfind("354", 0) != 0) return data;
  if (!client.TrySend("Subject: chaos\r\n\r\nhi\r\n.\r\n")) return "";
  return client.Reply();
}

std::string Code(const std::string& reply) { return reply.substr(0, 3); }

TEST_CASE("chaos: each fault point answers its code, and clearing restores service", "[chaos]") {
  MailSink sink;
  REQUIRE(Code(SendRaw(sink.smtp_port())) == "250");
  struct Case {
    const char* point;
    int code;
    const char* expect;  // the first reply that differs from normal service
  };
  for (Case c : {Case{"connect", 421, "421 4.3.2 Service not available (injected at connect"},
                 Case{"greeting", 554, "554 5.3.0 Permanent failure (injected at greeting"},
                 Case{"ehlo", 421, "421 4.3.2 Service not available (injected at ehlo"},
                 Case{"mail", 451, "451 4.3.0 Temporary failure (injected at mail"},
                 Case{"rcpt", 550, "550 5.3.0 Permanent failure (injected at rcpt"},
                 Case{"data_end", 452, "452 4.3.0 Temporary failure (injected at data_end"}}) {
    sink.SetChaos({{c.point, {{"code", c.code}, {"probability", 1}}}});
    INFO(c.point);
    CHECK(SendRaw(sink.smtp_port()).rfind(c.expect, 0) == 0);
  }
  sink.SetChaos({{"disconnect_mid_data", {{"probability", 1}}}});
  CHECK(SendRaw(sink.smtp_port()).empty());  // closed right after the 354
  sink.SetChaos({{"latency", {{"ms", 300}, {"jitter_ms", 0}}}});
  auto start = std::chrono::steady_clock::now();
  CHECK(Code(SendRaw(sink.smtp_port())) == "250");
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));

  json chaos = sink.Stats()["chaos"];
  for (const char* point : {"connect", "greeting", "ehlo", "mail", "rcpt", "data_end"}) {
    CHECK(chaos[point] == 1);
  }
  // AUTH is asked too, after its syntax checks: the credentials are never looked at.
  sink.SetChaos({{"auth", {{"code", 454}, {"probability", 1}}}});
  {
    RawSmtp client(sink.smtp_port());
    client.Reply();
    client.Command("EHLO chaos.test");
    CHECK(client.Command("AUTH PLAIN AHVzZXIAcGFzcw==").rfind("454 4.3.0", 0) == 0);
    CHECK(client.Command("AUTH BOGUS").rfind("504", 0) == 0);  // a bad mechanism is still 504
  }
  CHECK(sink.Stats()["chaos"]["auth"] == 1);
  CHECK(chaos["disconnects_mid_data"] == 1);
  CHECK(chaos["delayed_messages"] == 1);
  CHECK(sink.Stats()["received"] == 2);

  auto cleared = sink.Delete("/api/chaos");
  REQUIRE(cleared);
  CHECK(cleared->status == 200);
  CHECK(json::parse(cleared->body)["config"] == json::object());
  CHECK(Code(SendRaw(sink.smtp_port())) == "250");
  CHECK(sink.Stats()["received"] == 3);
}

// Waits until `sink` greets with 220 again; returns the seconds that took from `since`.
double SecondsUntilServing(const MailSink& sink, std::chrono::steady_clock::time_point since) {
  WaitFor([&] { return RawSmtp(sink.smtp_port()).Reply().rfind("220", 0) == 0; }, 10000);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

TEST_CASE("chaos outage: refuse closes at accept, 421 greets with 421; both end after for_s",
          "[chaos]") {
  MailSink sink;
  RawSmtp kept(sink.smtp_port());  // a connection from before the outage
  REQUIRE(Code(kept.Reply()) == "220");
  REQUIRE(kept.Code("EHLO kept.test") == 250);

  auto start = std::chrono::steady_clock::now();
  json state = sink.SetChaos(json::parse(R"({"outage":{"for_s":1.5,"mode":"refuse"}})"));
  CHECK(state["outage_remaining_s"].get<double>() > 1.0);
  {
    RawSmtp refused(sink.smtp_port());
    CHECK(refused.Reply().empty());  // accepted, then closed without a word
  }
  CHECK(kept.Command("MAIL FROM:<a@x.test>").empty());  // met at MAIL, closed as well
  double refuse_s = SecondsUntilServing(sink, start);
  CHECK(refuse_s >= 1.4);
  CHECK(refuse_s < 3.0);

  start = std::chrono::steady_clock::now();
  sink.SetChaos(json::parse(R"({"outage":{"for_s":1.5,"mode":"421"}})"));
  {
    RawSmtp greeted(sink.smtp_port());
    CHECK(greeted.Reply().rfind("421 4.3.2 Service not available (simulated outage", 0) == 0);
    CHECK(greeted.ClosedByServer(2000));
  }
  double reply_s = SecondsUntilServing(sink, start);
  CHECK(reply_s >= 1.4);
  CHECK(reply_s < 3.0);
  CHECK(Code(SendRaw(sink.smtp_port())) == "250");
  json chaos = sink.Stats()["chaos"];
  CHECK(chaos["outage_refused"].get<int>() >= 2);
  CHECK(chaos["outage_421"].get<int>() >= 1);
  CHECK(sink.GetJson("/api/chaos")["outage_remaining_s"] == 0);
}

TEST_CASE("chaos: PUT/GET round trip, rate limit counted, PUT {} clears", "[chaos]") {
  MailSink sink;
  json config = json::parse(R"({"rate_limit":{"per_s":2,"burst":2},"rcpt":{"code":450,
      "probability":0.5},"latency":{"ms":1,"jitter_ms":1},"seed":9})");
  json put = sink.SetChaos(config);
  CHECK(put["config"] == config);
  json got = sink.GetJson("/api/chaos");
  CHECK(got["config"] == config);
  CHECK(got["rate_limit_tokens"].get<double>() == Approx(2).margin(0.1));
  sink.SetChaos(json::parse(R"({"rate_limit":{"per_s":0.5,"burst":2}})"));
  int accepted = 0, limited = 0;
  for (int i = 0; i < 5; ++i) {
    std::string reply = SendRaw(sink.smtp_port());
    accepted += Code(reply) == "250" ? 1 : 0;
    limited += reply.rfind("421 4.7.0 Rate limit exceeded", 0) == 0 ? 1 : 0;
  }
  CHECK(accepted == 2);  // the burst; the next token is 2 s away
  CHECK(limited == 3);
  CHECK(sink.Stats()["chaos"]["rate_limited"] == 3);
  CHECK(sink.SetChaos(json::object())["config"] == json::object());
  CHECK(Code(SendRaw(sink.smtp_port())) == "250");
}

TEST_CASE("chaos PUT: hostile bodies get 400/413/415 naming the problem and change nothing",
          "[chaos]") {
  MailSink sink;
  json before = sink.SetChaos(json::parse(R"({"mail":{"code":451,"probability":0.25}})"));
  struct Bad {
    std::string body;
    std::string content_type;
    int status;
    const char* says;
  };
  for (const Bad& bad : {
           Bad{R"({"mail":{"code":200}})", "application/json", 400, "'mail.code' must be"},
           Bad{R"({"rcpt":{"code":450,"probability":2}})", "application/json", 400,
               "'rcpt.probability' must be a number 0..1"},
           Bad{R"({"outage":{"for_s":1e9}})", "application/json", 400, "'outage.for_s'"},
           Bad{R"({"rate_limit":{"per_s":0}})", "application/json", 400, "'rate_limit.per_s'"},
           Bad{R"({"outage":{"for_s":5},"surprise":true})", "application/json", 400,
               "unknown chaos field 'surprise'"},
           Bad{"{not json", "application/json", 400, "not valid JSON"},
           Bad{R"({"outage":{"for_s":5}})", "text/plain", 415, "Content-Type: application/json"},
           Bad{R"({"outage":{"for_s":5}})", "application/x-www-form-urlencoded", 415,
               "Content-Type"},
           Bad{"{\"seed\":1" + std::string(8000, ' ') + "}", "application/json", 413, ""},
       }) {
    auto response = sink.Put("/api/chaos", bad.body, bad.content_type);
    REQUIRE(response);
    INFO(bad.body.substr(0, 80) << " -> " << response->status << " " << response->body);
    CHECK(response->status == bad.status);
    CHECK(response->body.find(bad.says) != std::string::npos);
  }
  // Another site's page: its browser sends that site's Origin.
  auto foreign = sink.Put("/api/chaos", R"({"outage":{"for_s":5}})", "application/json",
                          {{"Origin", "http://evil.example"}});
  REQUIRE(foreign);
  CHECK(foreign->status == 403);
  httplib::Client client("127.0.0.1", sink.http_port());
  auto foreign_delete = client.Delete("/api/chaos", {{"Origin", "http://evil.example"}});
  REQUIRE(foreign_delete);
  CHECK(foreign_delete->status == 403);
  CHECK(sink.GetJson("/api/chaos")["config"] == before["config"]);  // nothing changed
  // The inbox's own page may (same origin).
  std::string own = "http://127.0.0.1:" + std::to_string(sink.http_port());
  auto same = sink.Put("/api/chaos", "{}", "application/json; charset=utf-8", {{"Origin", own}});
  REQUIRE(same);
  CHECK(same->status == 200);
}

TEST_CASE(
    "--chaos sets failures from the start; a bad one exits 2 naming the field; "
    "--fail-rate and --delay-ms are its presets",
    "[chaos]") {
  {
    MailSink sink({"--chaos", R"({"mail":{"code":452}})"});
    CHECK(SendRaw(sink.smtp_port()).rfind("452 4.3.0", 0) == 0);
  }
  {
    MailSink sink({"--fail-rate", "1", "--delay-ms", "20", "--seed", "3"});
    json config = sink.GetJson("/api/chaos")["config"];
    CHECK(config == json::parse(R"({"data_end":{"code":451,"probability":1},
                                    "latency":{"ms":20,"jitter_ms":0}})"));
    CHECK(SendRaw(sink.smtp_port()).rfind("451 4.3.0 Temporary failure", 0) == 0);
    CHECK(sink.Stats()["failed_451"] == 1);
  }
  std::string output;
  int code = RunCommand({BinPath("fibtastic-mailsink"), "--smtp-port", "0", "--http-port", "0",
                         "--chaos", R"({"rcpt":{"code":451,"probability":7}})"},
                        &output, 10000);
  CHECK(code == 2);
  CHECK(output.find("--chaos: chaos field 'rcpt.probability' must be a number 0..1") !=
        std::string::npos);
  code = RunCommand({BinPath("fibtastic-mailsink"), "--smtp-port", "0", "--http-port", "0",
                     "--chaos", R"({"latency":{"ms":5}})", "--delay-ms", "5"},
                    &output, 10000);
  CHECK(code == 2);
  CHECK(output.find("--delay-ms and a --chaos latency") != std::string::npos);
}

}  // namespace
}  // namespace fib::test
