#include "server/sequences_controller.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/clock.h"

namespace fib {
namespace {

// Records what it was asked to dispatch and answers with a preset result.
class FakeDispatcher : public JobDispatcher {
 public:
  DispatchResult Dispatch(const std::string& class_name, const nlohmann::json& args,
                          const std::string& request_id, int64_t request_start_us) override {
    last_request_start_us = request_start_us;
    ++calls;
    last_class = class_name;
    last_args = args;
    last_request_id = request_id;
    return result;
  }
  std::string ModeName() const override { return "background"; }
  std::string Describe() const override { return "queued"; }

  DispatchResult result;
  int calls = 0;
  int64_t last_request_start_us = 0;
  std::string last_class, last_request_id;
  nlohmann::json last_args;
};

// A stage that takes a fixed (fake) time and records the order it ran in.
class FakeStage : public RequestStage {
 public:
  FakeStage(std::string name, ManualClock* clock, int64_t cost_us, std::vector<std::string>* log)
      : name_(std::move(name)), clock_(clock), cost_us_(cost_us), log_(log) {}
  std::string name() const override { return name_; }
  Status Run(const std::string& request_id) override {
    clock_->Advance(cost_us_);
    log_->push_back(name_ + ":" + request_id);
    return fail ? Status::Error("database is down") : Status::Ok();
  }
  bool fail = false;

 private:
  std::string name_;
  ManualClock* clock_;
  int64_t cost_us_;
  std::vector<std::string>* log_;
};

std::string Header(const WebResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

WebRequest Form(const std::string& body) {
  return {"application/x-www-form-urlencoded", "text/html", body, "req-7"};
}

struct Fixture {
  ManualClock clock;
  RequestPipeline pipeline{&clock};
  FakeDispatcher dispatcher;
  SequencesController controller{&dispatcher, &pipeline};
};

TEST_CASE("a valid form dispatches SequenceEmailWorker with [email, integer length]",
          "[controller]") {
  Fixture f;
  f.dispatcher.result.jid = "0123456789abcdef01234567";
  f.dispatcher.result.timing_name = "enqueue";
  f.dispatcher.result.duration_us = 250;
  WebResponse r = f.controller.CreateSequence(Form("email=a%40example.com&sequence_length=+10+"));
  CHECK(r.status == 200);
  CHECK(r.body.find("Thanks! A carefully crafted fibonacci sequence") != std::string::npos);
  CHECK(f.dispatcher.last_class == "SequenceEmailWorker");
  CHECK(f.dispatcher.last_args == nlohmann::json::array({"a@example.com", 10}));
  CHECK(f.dispatcher.last_args[1].is_number_integer());
  CHECK(f.dispatcher.last_request_id == "req-7");
  CHECK(Header(r, "X-Job-Id") == "0123456789abcdef01234567");
  CHECK(Header(r, "Server-Timing") == "enqueue;dur=0.250");
}

TEST_CASE("invalid input re-renders the form with the message and escaped values", "[controller]") {
  Fixture f;
  WebResponse r = f.controller.CreateSequence(
      Form("email=%3Cscript%3Ealert(1)%3C%2Fscript%3E&sequence_length=28"));
  CHECK(r.status == 422);
  CHECK(f.dispatcher.calls == 0);
  CHECK(r.body.find("<script>") == std::string::npos);
  CHECK(r.body.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(r.body.find("name=\"email\"") != std::string::npos);

  WebResponse too_long =
      f.controller.CreateSequence(Form("email=a%40example.com&sequence_length=28"));
  CHECK(too_long.status == 422);
  CHECK(too_long.body.find("longer than 27 are reserved for our paid customers") !=
        std::string::npos);
  CHECK(too_long.body.find("value=\"a@example.com\"") != std::string::npos);
  CHECK(too_long.body.find("value=\"28\"") != std::string::npos);

  for (const char* body :
       {"email=a%40example.com&sequence_length=0", "email=a%40example.com&sequence_length=-1",
        "email=a%40example.com&sequence_length=abc",
        "email=a%40example.com&sequence_length=", "email=a%40example.com"}) {
    INFO(body);
    WebResponse bad = f.controller.CreateSequence(Form(body));
    CHECK(bad.status == 422);
    CHECK(bad.body.find("please provide a valid sequence length") != std::string::npos);
  }
  CHECK(f.dispatcher.calls == 0);
}

TEST_CASE("JSON in gives JSON out", "[controller]") {
  Fixture f;
  f.dispatcher.result.jid = "abc";
  WebRequest ok{"application/json", "", R"({"email":"a@example.com","sequence_length":3})", "r1"};
  WebResponse r = f.controller.CreateSequence(ok);
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  auto body = nlohmann::json::parse(r.body);
  CHECK(body["jid"] == "abc");
  CHECK(body["request_id"] == "r1");

  WebRequest bad{"application/json", "", R"({"email":"a@example.com","sequence_length":0})", "r2"};
  WebResponse e = f.controller.CreateSequence(bad);
  CHECK(e.status == 422);
  CHECK(nlohmann::json::parse(e.body)["error"] == "please provide a valid sequence length");

  WebRequest broken{"application/json", "", "{nope", "r3"};
  WebResponse b = f.controller.CreateSequence(broken);
  CHECK(b.status == 400);
  CHECK(nlohmann::json::parse(b.body)["error"] == "the request body is not valid JSON");
}

TEST_CASE("dispatch failures map to 502 (mail) and 503 (queue), never a thanks page",
          "[controller]") {
  Fixture f;
  f.dispatcher.result.outcome = DispatchOutcome::kMailFailed;
  f.dispatcher.result.message = "SMTP send failed: connection refused";
  WebResponse mail = f.controller.CreateSequence(Form("email=a%40example.com&sequence_length=3"));
  CHECK(mail.status == 502);
  // The client learns what happened and the request id; the detail stays in the log.
  CHECK(mail.body.find("mail server failed") != std::string::npos);
  CHECK(mail.body.find("connection refused") == std::string::npos);
  CHECK(mail.body.find("req-7") != std::string::npos);
  CHECK(mail.body.find("Thanks!") == std::string::npos);

  f.dispatcher.result.outcome = DispatchOutcome::kQueueUnavailable;
  f.dispatcher.result.message = "Redis at redis://127.0.0.1:1/0: connection refused";
  WebResponse queue = f.controller.CreateSequence(Form("email=a%40example.com&sequence_length=3"));
  CHECK(queue.status == 503);
  CHECK(queue.body.find("job queue (Redis) is unavailable") != std::string::npos);
  CHECK(queue.body.find("127.0.0.1") == std::string::npos);
  CHECK(queue.body.find("Thanks!") == std::string::npos);
  CHECK(Header(queue, "Retry-After") == "1");
  CHECK(Header(queue, "X-Job-Id").empty());
}

TEST_CASE("unsupported content types get 415", "[controller]") {
  Fixture f;
  WebResponse r = f.controller.CreateSequence({"text/plain", "", "email=a", "r"});
  CHECK(r.status == 415);
  CHECK(f.dispatcher.calls == 0);
}

TEST_CASE("request stages run before and after the job and appear in Server-Timing",
          "[controller]") {
  Fixture f;
  std::vector<std::string> ran;
  auto load = std::make_shared<FakeStage>("load_user", &f.clock, 3000, &ran);
  auto render = std::make_shared<FakeStage>("render", &f.clock, 20000, &ran);
  f.pipeline.AddBeforeJob(load);
  f.pipeline.AddAfterJob(render);
  f.dispatcher.result.timing_name = "job";
  f.dispatcher.result.duration_us = 100000;
  WebResponse r = f.controller.CreateSequence(Form("email=a%40example.com&sequence_length=3"));
  CHECK(r.status == 200);
  CHECK(ran == std::vector<std::string>{"load_user:req-7", "render:req-7"});
  CHECK(Header(r, "Server-Timing") == "load_user;dur=3.000, job;dur=100.000, render;dur=20.000");

  load->fail = true;
  WebResponse failed = f.controller.CreateSequence(Form("email=a%40example.com&sequence_length=3"));
  CHECK(failed.status == 500);
  CHECK(failed.body.find("request stage load_user: database is down") != std::string::npos);
  CHECK(f.dispatcher.calls == 1);  // the job was not dispatched the second time
}

TEST_CASE("the form page names the running mode", "[controller]") {
  Fixture f;
  WebResponse r = f.controller.ShowForm({});
  CHECK(r.status == 200);
  CHECK(r.body.find("<strong>background</strong> &mdash; queued") != std::string::npos);
}

}  // namespace
}  // namespace fib
