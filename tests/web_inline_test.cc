// Integration tests of fibtastic-web --mode inline against a real fibtastic-mailsink: the job
// runs inside the request, so the email is in the inbox when the response arrives.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <regex>
#include <thread>

#include "tests/support/mail_sink.h"
#include "tests/support/ports.h"
#include "tests/support/tls_sink_files.h"
#include "tests/support/web_app.h"

namespace fib::test {
namespace {

constexpr char kThanks[] =
    "Thanks! A carefully crafted fibonacci sequence will be hitting your inbox shortly.";

struct InlineStack {
  MailSink sink;
  WebApp web{{"--mode", "inline", "--smtp-url", sink.smtp_url()}};
};

TEST_CASE("a form post for 10 numbers emails exactly the first ten, tagged with the request id",
          "[web][inline]") {
  InlineStack stack;
  auto response = stack.web.PostForm("email=ada%40example.com&sequence_length=10",
                                     {{"X-Request-Id", "inline-test-req-1"}});
  REQUIRE(response);
  INFO(stack.web.process().Log());
  CHECK(response->status == 200);
  CHECK(response->body.find(kThanks) != std::string::npos);
  CHECK(response->body.find("<a href=\"/\">") != std::string::npos);
  CHECK(response->get_header_value("X-Request-Id") == "inline-test-req-1");
  CHECK(std::regex_search(response->get_header_value("Server-Timing"),
                          std::regex("^job;dur=[0-9]+\\.[0-9]{3}$")));

  nlohmann::json messages = stack.sink.Messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0]["from"] == "fibmaster@example.com");
  CHECK(messages[0]["to"] == nlohmann::json::array({"ada@example.com"}));
  CHECK(messages[0]["subject"] == "Your Fib Sequence!");
  CHECK(messages[0]["request_id"] == "inline-test-req-1");
  std::string body = stack.sink.Message(messages[0]["id"].get<int64_t>())["body"];
  CHECK(body.find("Here's those Fibonacci Numbers you requested:") != std::string::npos);
  CHECK(body.find("<p>0, 1, 1, 2, 3, 5, 8, 13, 21, 34</p>") != std::string::npos);
  // The log has one access line for the request, with its id and status.
  // httplib logs after the response is sent, so the line may trail the response a little.
  std::regex access_line("POST /sequences 200 [0-9.]+ms request_id=inline-test-req-1");
  bool logged = false;
  for (int i = 0; i < 200 && !logged; ++i) {
    logged = std::regex_search(stack.web.process().Log(), access_line);
    if (!logged) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(logged);
}

TEST_CASE("an unsafe or missing X-Request-Id is replaced, and the email carries the new one",
          "[web][inline]") {
  InlineStack stack;
  auto response = stack.web.PostForm("email=b%40example.com&sequence_length=1",
                                     {{"X-Request-Id", "bad id <script>"}});
  REQUIRE(response);
  REQUIRE(response->status == 200);
  std::string id = response->get_header_value("X-Request-Id");
  CHECK(std::regex_match(
      id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  nlohmann::json messages = stack.sink.Messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0]["request_id"] == id);
  std::string body = stack.sink.Message(messages[0]["id"].get<int64_t>())["body"];
  CHECK(body.find("<p>0</p>") != std::string::npos);
}

TEST_CASE("invalid input is a 4xx with its message, the form keeps the values, no email is sent",
          "[web][inline]") {
  InlineStack stack;
  struct Case {
    std::string body;
    int status;
    std::string message;
  };
  std::string megabyte(1 << 20, 'x');
  std::vector<Case> cases = {
      {"email=a%40example.com&sequence_length=0", 422, "please provide a valid sequence length"},
      {"email=a%40example.com&sequence_length=28", 422,
       "sequences longer than 27 are reserved for our paid customers"},
      {"email=a%40example.com&sequence_length=-1", 422, "please provide a valid sequence length"},
      {"email=a%40example.com&sequence_length=abc", 422, "please provide a valid sequence length"},
      {"email=a%40example.com&sequence_length=", 422, "please provide a valid sequence length"},
      {"email=a%40example.com", 422, "please provide a valid sequence length"},
      {"sequence_length=5", 422, "please provide an email address"},
      {"", 422, "please provide an email address"},
      {"email=a%40example.com%0D%0AX-Injected%3A+yes&sequence_length=5", 422,
       "may not contain spaces, line breaks"},
      {"email=a%zz&sequence_length=5", 400, "malformed %-escape"},
      {"email=" + megabyte + "&sequence_length=5", 413, "larger than the limit of 65536 bytes"},
  };
  for (const Case& c : cases) {
    INFO("body: " << c.body.substr(0, 80));
    auto response = stack.web.PostForm(c.body);
    REQUIRE(response);
    CHECK(response->status == c.status);
    CHECK(response->body.find(c.message) != std::string::npos);
    CHECK(response->body.find(kThanks) == std::string::npos);
    CHECK_FALSE(response->get_header_value("X-Request-Id").empty());
  }
  CHECK(stack.sink.Messages().empty());

  // The form comes back with what was typed, escaped.
  auto xss =
      stack.web.PostForm("email=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&sequence_length=3");
  REQUIRE(xss);
  CHECK(xss->status == 422);
  CHECK(xss->body.find("<script>") == std::string::npos);
  CHECK(xss->body.find("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"") !=
        std::string::npos);
  auto kept = stack.web.PostForm("email=keep%40example.com&sequence_length=99");
  REQUIRE(kept);
  CHECK(kept->body.find("value=\"keep@example.com\"") != std::string::npos);
  CHECK(kept->body.find("value=\"99\"") != std::string::npos);
  CHECK(stack.sink.Messages().empty());
}

TEST_CASE("JSON in gives JSON out", "[web][inline]") {
  InlineStack stack;
  auto ok = stack.web.PostJson({{"email", "j@example.com"}, {"sequence_length", 5}},
                               {{"X-Request-Id", "json-1"}});
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->get_header_value("Content-Type") == "application/json");
  auto body = nlohmann::json::parse(ok->body);
  CHECK(body["status"] == "sent");
  CHECK(body["mode"] == "inline");
  CHECK(body["request_id"] == "json-1");
  nlohmann::json messages = stack.sink.Messages();
  REQUIRE(messages.size() == 1);
  CHECK(stack.sink.Message(messages[0]["id"].get<int64_t>())["body"].get<std::string>().find(
            "<p>0, 1, 1, 2, 3</p>") != std::string::npos);

  auto bad = stack.web.PostJson({{"email", "j@example.com"}, {"sequence_length", 28}});
  REQUIRE(bad);
  CHECK(bad->status == 422);
  CHECK(nlohmann::json::parse(bad->body)["error"].get<std::string>().find("paid customers") !=
        std::string::npos);
  auto broken = HttpClient(stack.web.port())->Post("/sequences", "{not json", "application/json");
  REQUIRE(broken);
  CHECK(broken->status == 400);
  CHECK(nlohmann::json::parse(broken->body)["error"] == "the request body is not valid JSON");
  CHECK(stack.sink.Messages().size() == 1);
}

TEST_CASE("inline mode sends with the lesson's provider settings: STARTTLS, AUTH PLAIN, a password",
          "[web][inline][tls]") {
  TlsSinkFiles files;
  MailSink sink(files.StrictSinkFlags());
  // The self-signed sink trusted by SMTP_TLS_INSECURE=1, as a developer would locally.
  WebApp web({"--mode", "inline"},
             {{"SMTP_URL", TlsSinkFiles::Url(sink.smtp_port())}, {"SMTP_TLS_INSECURE", "1"}});
  auto response = web.PostForm("email=tls%40example.com&sequence_length=5");
  REQUIRE(response);
  INFO(web.process().Log() << sink.Log());
  CHECK(response->status == 200);
  CHECK(sink.Messages().size() == 1);
  // A wrong password: 502; the log names the server and the reply, nothing has the password.
  WebApp wrong({"--mode", "inline", "--smtp-tls-insecure", "--smtp-url",
                TlsSinkFiles::Url(sink.smtp_port(), "Wrong-pw-3141")});
  auto refused = wrong.PostForm("email=tls%40example.com&sequence_length=5");
  REQUIRE(refused);
  CHECK(refused->status == 502);
  CHECK(wrong.process().Log().find("smtp://fibmaster:***@127.0.0.1:") != std::string::npos);
  CHECK(wrong.process().Log().find("535 5.7.8") != std::string::npos);
  CHECK(refused->body.find("Wrong-pw-3141") == std::string::npos);
  CHECK(wrong.process().Log().find("Wrong-pw-3141") == std::string::npos);
  CHECK(sink.Stats()["received"] == 1);
}

TEST_CASE("when the mail server is down the answer is 502 with a clear message, never thanks",
          "[web][inline]") {
  int nobody = FreePort();
  WebApp web({"--mode", "inline", "--smtp-url", "smtp://127.0.0.1:" + std::to_string(nobody)});
  auto response = web.PostForm("email=a%40example.com&sequence_length=5");
  REQUIRE(response);
  CHECK(response->status == 502);
  CHECK(response->body.find("mail server failed") != std::string::npos);
  CHECK(response->body.find(kThanks) == std::string::npos);
  // The page names the request, not the server; the log has the detail under that id.
  std::string id = response->get_header_value("X-Request-Id");
  REQUIRE_FALSE(id.empty());
  CHECK(response->body.find(id) != std::string::npos);
  CHECK(response->body.find(std::to_string(nobody)) == std::string::npos);
  CHECK(web.process().Log().find("request " + id + ": 502") != std::string::npos);
  CHECK(web.process().Log().find("is the mail sink running") != std::string::npos);
  auto json = web.PostJson({{"email", "a@example.com"}, {"sequence_length", 5}});
  REQUIRE(json);
  CHECK(json->status == 502);
  CHECK(nlohmann::json::parse(json->body).contains("error"));
}

TEST_CASE("GET / shows the form and the mode; /healthz says ok; unknown paths 404",
          "[web][inline]") {
  InlineStack stack;
  auto form = stack.web.Get("/");
  REQUIRE(form);
  CHECK(form->status == 200);
  CHECK(form->body.find("<title>FibTastic -- Fibonacci as a Service</title>") != std::string::npos);
  CHECK(form->body.find("name=\"email\"") != std::string::npos);
  CHECK(form->body.find("name=\"sequence_length\"") != std::string::npos);
  CHECK(form->body.find("<strong>inline</strong>") != std::string::npos);
  auto health = stack.web.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "ok\n");
  auto missing = stack.web.Get("/nope");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(missing->body.find("POST /sequences") != std::string::npos);
}

TEST_CASE("SIGTERM lets the request in flight finish, then exits 0 and frees the port",
          "[web][inline]") {
  MailSink slow_sink({"--delay-ms", "1500"});
  WebApp web({"--mode", "inline", "--smtp-url", slow_sink.smtp_url()});
  auto in_flight = std::async(std::launch::async, [&] {
    return web.PostForm("email=slow%40example.com&sequence_length=3");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  web.process().Signal(SIGTERM);
  auto response = in_flight.get();
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body.find(kThanks) != std::string::npos);
  CHECK(web.process().Wait(10000) == 0);
  CHECK_FALSE(PortOpen(web.port()));
  CHECK(slow_sink.Messages().size() == 1);
}

TEST_CASE("bad flags exit 2 with one line; a busy port exits 1 naming the address",
          "[web][inline]") {
  std::string output;
  CHECK(RunCommand({BinPath("fibtastic-web"), "--mode", "sideways"}, &output) == 2);
  CHECK(output.find("--mode must be 'inline' or 'background'") != std::string::npos);
  CHECK(RunCommand({BinPath("fibtastic-web"), "--threads", "many"}, &output) == 2);
  CHECK(RunCommand({BinPath("fibtastic-web"), "--help"}, &output) == 0);
  CHECK(output.find("--redis-command-timeout-ms") != std::string::npos);

  InlineStack stack;
  std::string port = std::to_string(stack.web.port());
  CHECK(RunCommand({BinPath("fibtastic-web"), "--port", port}, &output, 10000) == 1);
  CHECK(output.find("cannot listen on 127.0.0.1:" + port) != std::string::npos);
  CHECK(output.find("already in use") != std::string::npos);
}

}  // namespace
}  // namespace fib::test
