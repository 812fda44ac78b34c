#include "server/dispatch/queue_dispatcher.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "workers/queue/job_payload.h"

namespace fib {
namespace {

// Records pushes; every other JobQueue operation is not used by the web and fails loudly.
class FakeJobQueue : public JobQueue {
 public:
  Status Push(const std::string& queue, const std::string& raw) override {
    if (!push_error.empty()) return Status::Error(push_error);
    pushed.emplace_back(queue, raw);
    return Status::Ok();
  }
  Status PushBulk(const std::string&, const std::vector<std::string>&) override { return Unused(); }
  Status Schedule(double, const std::string&) override { return Unused(); }
  Result<std::optional<FetchedJob>> Fetch(const std::vector<std::string>&, int) override {
    return Unused();
  }
  Status Ack(const FetchedJob&) override { return Unused(); }
  Status Retry(const FetchedJob&, const std::string&, double) override { return Unused(); }
  Status Kill(const FetchedJob&, const std::string&, double) override { return Unused(); }
  Status Requeue(const FetchedJob&) override { return Unused(); }
  Result<int> EnqueueDue(double) override { return Unused(); }
  Result<int> RecoverOrphans() override { return Unused(); }
  Result<std::vector<std::string>> Heartbeat(const ProcessInfo&, const std::vector<BusyJob>&,
                                             int64_t, int64_t, double) override {
    return Unused();
  }
  Status Unregister(const ProcessInfo&) override { return Unused(); }

  std::vector<std::pair<std::string, std::string>> pushed;  // queue, raw
  std::string push_error;

 private:
  static Status Unused() { return Status::Error("not used by the web app"); }
};

TEST_CASE("QueueDispatcher pushes a Sidekiq payload with class, args, request_id, jid, times",
          "[queue_dispatcher]") {
  ManualClock clock(1700000000LL * 1000000 + 250000);
  FakeJobQueue queue;
  QueueDispatcher dispatcher({"default", "redis://127.0.0.1:6379/0", nullptr}, &queue, &clock);
  nlohmann::json args = nlohmann::json::array({"a@example.com", 10});
  DispatchResult result =
      dispatcher.Dispatch("SequenceEmailWorker", args, "req-42", 1700000000200000);
  REQUIRE(result.ok());
  REQUIRE(queue.pushed.size() == 1);
  CHECK(queue.pushed[0].first == "default");
  auto raw = nlohmann::json::parse(queue.pushed[0].second);
  CHECK(raw["class"] == "SequenceEmailWorker");
  CHECK(raw["args"] == args);
  CHECK(raw["args"][1].is_number_integer());
  CHECK(raw["queue"] == "default");
  CHECK(raw["request_id"] == "req-42");
  CHECK(raw["retry"] == true);
  CHECK(raw["jid"] == result.jid);
  CHECK(result.jid.size() == 24);
  CHECK(raw["created_at"].get<double>() == Approx(1700000000.25));
  CHECK(raw["enqueued_at"].get<double>() == Approx(1700000000.25));
  // Sidekiq 8 reads integers as milliseconds: the times must be written as floats.
  CHECK(raw["enqueued_at"].is_number_float());
  CHECK(result.timing_name == "enqueue");
  auto decoded = DecodePayload(queue.pushed[0].second);
  REQUIRE(decoded.ok());
  CHECK(decoded->request_id == "req-42");
  // The request's arrival travels as an extra key, in Sidekiq's float seconds.
  CHECK(raw["request_start_at"].get<double>() == Approx(1700000000.2));
  CHECK(decoded->extra["request_start_at"].is_number_float());
}

TEST_CASE("each dispatch gets its own jid", "[queue_dispatcher]") {
  ManualClock clock;
  FakeJobQueue queue;
  QueueDispatcher dispatcher({}, &queue, &clock);
  auto a = dispatcher.Dispatch("NoopWorker", nlohmann::json::array(), "r", 0);
  auto b = dispatcher.Dispatch("NoopWorker", nlohmann::json::array(), "r", 0);
  CHECK(a.jid != b.jid);
}

TEST_CASE("a failed push is kQueueUnavailable with the queue's message and no jid",
          "[queue_dispatcher]") {
  ManualClock clock;
  FakeJobQueue queue;
  queue.push_error = "Redis at 127.0.0.1:1 is unreachable: connection refused";
  QueueDispatcher dispatcher({"critical", "", nullptr}, &queue, &clock);
  DispatchResult result = dispatcher.Dispatch("SequenceEmailWorker",
                                              nlohmann::json::array({"a@example.com", 1}), "r", 0);
  CHECK(result.outcome == DispatchOutcome::kQueueUnavailable);
  CHECK(result.message == queue.push_error);
  CHECK(result.jid.empty());
  CHECK(queue.pushed.empty());
}

TEST_CASE("a queue that is not ready is kQueueUnavailable and nothing is pushed",
          "[queue_dispatcher]") {
  ManualClock clock;
  FakeJobQueue queue;
  bool ready = false;
  QueueDispatcherOptions options{"default", "", nullptr};
  options.ready = [&ready] {
    return ready ? Status::Ok() : Status::Error("Redis 6.0.16 at x is too old");
  };
  QueueDispatcher dispatcher(options, &queue, &clock);
  DispatchResult refused = dispatcher.Dispatch("SequenceEmailWorker", {"a@example.com", 1}, "r", 0);
  CHECK(refused.outcome == DispatchOutcome::kQueueUnavailable);
  CHECK(refused.message == "Redis 6.0.16 at x is too old");
  CHECK(queue.pushed.empty());
  ready = true;
  CHECK(dispatcher.Dispatch("SequenceEmailWorker", {"a@example.com", 1}, "r", 0).outcome ==
        DispatchOutcome::kOk);
  CHECK(queue.pushed.size() == 1);
}

TEST_CASE("the dispatcher describes where jobs go", "[queue_dispatcher]") {
  ManualClock clock;
  FakeJobQueue queue;
  QueueDispatcher dispatcher({"default", "redis://127.0.0.1:7000/0", nullptr}, &queue, &clock);
  CHECK(dispatcher.ModeName() == "background");
  CHECK(dispatcher.Describe().find("queue:default at redis://127.0.0.1:7000/0") !=
        std::string::npos);
}

}  // namespace
}  // namespace fib
