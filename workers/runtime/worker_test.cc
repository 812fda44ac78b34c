// Unit tests of the worker runtime over MemoryJobQueue and a ManualClock: no network.
#include "workers/runtime/worker.h"

#include <catch2/catch.hpp>

#include "workers/runtime/worker_test_fixture.h"

using namespace fib;
using namespace fib::test;

TEST_CASE("successful jobs are acked and counted as processed", "[worker]") {
  Fixture f;
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  for (int i = 0; i < 50; ++i) REQUIRE(f.queue.Push("default", f.Raw("RecordingWorker", {i})).ok());
  REQUIRE(f.Drained());
  worker->Stop();
  CHECK(f.journal.ran.size() == 50);
  CHECK(f.queue.InProgress().empty());
  CHECK(f.queue.RetrySet().empty());
  CHECK(f.queue.DeadSet().empty());
  CHECK(f.queue.processed() == 50);  // flushed by the last heartbeat
  CHECK(f.queue.failed() == 0);
  CHECK(f.queue.unregistered());
}

TEST_CASE("the job sees its jid and request id", "[worker]") {
  Fixture f;
  auto worker = f.MakeWorker();
  JobPayload payload = fib::NewJobPayload("RecordingWorker", {1}, f.clock);
  payload.request_id = "req-42";
  f.RunOne(*worker, fib::EncodePayload(payload));
  REQUIRE(f.journal.contexts.size() == 1);
  CHECK(f.journal.contexts[0].jid == payload.jid);
  CHECK(f.journal.contexts[0].request_id == "req-42");
  CHECK(f.journal.contexts[0].clock == &f.clock);
}

TEST_CASE("a first failure writes Sidekiq's fields and waits within the backoff window",
          "[worker][retry]") {
  Fixture f;
  for (uint64_t jitter : {0u, 9u}) {
    f.random_value = jitter;
    auto worker = f.MakeWorker();
    f.RunOne(*worker, f.Raw("FailingWorker", {}));
  }
  auto retries = f.queue.RetrySet();
  REQUIRE(retries.size() == 2);
  double now = f.clock.NowSeconds();
  CHECK(retries[0].score == now + 15);
  CHECK(retries[1].score == now + 15 + 9);
  JobPayload job = Decode(retries[0].raw);
  CHECK(job.error_class == "SmtpError");
  CHECK(job.error_message == "550 mailbox unavailable");
  CHECK(job.failed_at == now);
  CHECK(job.retry_count == 0);
  CHECK_FALSE(job.retried_at.has_value());
  CHECK(f.queue.InProgress().empty());
}

TEST_CASE("a later failure increments retry_count and backs off count^4", "[worker][retry]") {
  Fixture f;
  f.random_value = 9;
  auto worker = f.MakeWorker();
  JobPayload payload = Decode(f.Raw("FailingWorker", {}));
  payload.retry_count = 2;
  payload.failed_at = f.clock.NowSeconds() - 500;
  f.RunOne(*worker, fib::EncodePayload(payload));
  auto retries = f.queue.RetrySet();
  REQUIRE(retries.size() == 1);
  double c = 3, now = f.clock.NowSeconds();
  CHECK(retries[0].score >= now + c * c * c * c + 15);
  CHECK(retries[0].score <= now + c * c * c * c + 15 + 9 * (c + 1));
  JobPayload job = Decode(retries[0].raw);
  CHECK(job.retry_count == 3);
  CHECK(job.retried_at == now);
  CHECK(job.failed_at == now - 500);
}

TEST_CASE("The --retry-delay-scale flag multiplies the backoff", "[worker][retry]") {
  Fixture f;
  f.options.retry_delay_scale = 0.01;
  auto worker = f.MakeWorker();
  f.RunOne(*worker, f.Raw("FailingWorker", {}));
  REQUIRE(f.queue.RetrySet().size() == 1);
  CHECK(f.queue.RetrySet()[0].score == Approx(f.clock.NowSeconds() + 0.15));
}

TEST_CASE("retries exhausted go to the dead set, and retry: N is honoured", "[worker][retry]") {
  Fixture f;
  auto worker = f.MakeWorker();
  f.RunOne(*worker, f.Raw("FailingWorker", {}, 1));  // count 0 < 1: retry
  REQUIRE(f.queue.RetrySet().size() == 1);
  f.RunOne(*worker, f.queue.RetrySet()[0].raw);  // count 1 < 1 is false: dead
  REQUIRE(f.queue.DeadSet().size() == 1);
  JobPayload dead = Decode(f.queue.DeadSet()[0].raw);
  CHECK(dead.retry_count == 1);
  CHECK(f.queue.DeadSet()[0].score == f.clock.NowSeconds());

  JobPayload exhausted = Decode(f.Raw("FailingWorker", {}));
  exhausted.retry_count = 24;  // the 26th failure of a retry: true job
  f.RunOne(*worker, fib::EncodePayload(exhausted));
  CHECK(f.queue.DeadSet().size() == 2);
  CHECK(f.queue.RetrySet().size() == 1);  // only the first job's earlier entry
}

TEST_CASE("retry: 0 goes straight to dead, retry: false is dropped but counted",
          "[worker][retry]") {
  Fixture f;
  auto worker = f.MakeWorker();
  f.RunOne(*worker, f.Raw("FailingWorker", {}, 0));
  CHECK(f.queue.DeadSet().size() == 1);
  f.RunOne(*worker, f.Raw("FailingWorker", {}, false));
  CHECK(f.queue.DeadSet().size() == 1);
  CHECK(f.queue.RetrySet().empty());
  CHECK(f.queue.InProgress().empty());
  CHECK(f.queue.Waiting("default").empty());
  CHECK(worker->failed_total() == 2);
  CHECK(worker->processed_total() == 2);
}

TEST_CASE("text that is not JSON goes to the dead set as it was", "[worker][poison]") {
  Fixture f;
  auto worker = f.MakeWorker();
  f.RunOne(*worker, "{not json at all");
  f.RunOne(*worker, "[1, 2, 3]");
  auto dead = f.queue.DeadSet();
  REQUIRE(dead.size() == 2);
  CHECK(dead[0].raw == "{not json at all");
  CHECK(dead[1].raw == "[1, 2, 3]");
  CHECK(f.queue.InProgress().empty());
  CHECK(worker->failed_total() == 2);
}

TEST_CASE("a JSON object without a usable class goes to dead with the reason", "[worker][poison]") {
  Fixture f;
  auto worker = f.MakeWorker();
  f.RunOne(*worker, R"({"args":[1],"jid":"0123456789abcdef01234567","mine":true})");
  auto dead = f.queue.DeadSet();
  REQUIRE(dead.size() == 1);
  auto stored = nlohmann::json::parse(dead[0].raw);
  CHECK(stored["error_class"] == "InvalidPayloadError");
  CHECK(stored["mine"] == true);
  CHECK(stored["error_message"].get<std::string>().find("class") != std::string::npos);
}

TEST_CASE("a payload over --max-payload-bytes goes to dead at once, never retried",
          "[worker][poison]") {
  Fixture f;
  f.options.max_payload_bytes = 4096;
  auto worker = f.MakeWorker();
  std::string big = f.Raw("SequenceEmailWorker", {std::string(5000, 'x') + "@example.com", 5});
  f.RunOne(*worker, big);
  f.RunOne(*worker, f.Raw("RecordingWorker", {7}));
  CHECK(f.journal.ran.size() == 1);  // the next job runs as usual
  CHECK(f.queue.RetrySet().empty());
  auto dead = f.queue.DeadSet();
  REQUIRE(dead.size() == 1);
  auto stored = nlohmann::json::parse(dead[0].raw);
  CHECK(stored["error_class"] == "InvalidPayloadError");
  std::string message = stored["error_message"];
  CHECK(message.find("over the worker's limit of 4096 bytes") != std::string::npos);
  CHECK(message.size() < 300);
  // A stub, never the original: class and jid as the payload had them, its size, no args.
  CHECK(stored["class"] == "SequenceEmailWorker");
  CHECK(stored["jid"] == nlohmann::json::parse(big)["jid"]);
  CHECK(stored["args"] == nlohmann::json::array());
  CHECK(stored["original_bytes"] == big.size());
  CHECK(stored["retry"] == false);
  CHECK(dead[0].raw.size() < 1000);
  CHECK(worker->failed_total() == 1);
}

TEST_CASE("a payload nested too deeply to decode goes to dead as a stub; the worker survives",
          "[worker][poison]") {
  Fixture f;
  f.options.max_payload_bytes = 0;  // no size limit: only the depth check stands in the way
  auto worker = f.MakeWorker();
  std::string deep = R"({"class":"RecordingWorker","jid":"00000000000000000000dead","args":[)" +
                     std::string(400000, '[') + std::string(400000, ']') + "]}";
  f.RunOne(*worker, deep);
  f.RunOne(*worker, f.Raw("RecordingWorker", {7}));
  CHECK(f.journal.ran.size() == 1);
  CHECK(f.queue.RetrySet().empty());
  auto dead = f.queue.DeadSet();
  REQUIRE(dead.size() == 1);
  auto stored = nlohmann::json::parse(dead[0].raw);
  CHECK(stored["jid"] == "00000000000000000000dead");
  CHECK(stored["class"] == "RecordingWorker");
  CHECK(stored["original_bytes"] == deep.size());
  CHECK(stored["error_message"].get<std::string>().find("levels deep") != std::string::npos);
}

TEST_CASE("an unknown class is retried with UnknownJobClassError", "[worker][poison]") {
  Fixture f;
  auto worker = f.MakeWorker();
  f.RunOne(*worker, f.Raw("NoSuchWorker", {1}));
  auto retries = f.queue.RetrySet();
  REQUIRE(retries.size() == 1);
  JobPayload job = Decode(retries[0].raw);
  CHECK(job.error_class == "UnknownJobClassError");
  CHECK(job.error_message.value_or("").find("NoSuchWorker") != std::string::npos);
  CHECK(job.class_name == "NoSuchWorker");
}

TEST_CASE("wrong arguments are retried with ArgumentError", "[worker][poison]") {
  Fixture f;
  auto worker = f.MakeWorker();
  f.RunOne(*worker, f.Raw("SequenceEmailWorker", {"only-one-arg"}));
  auto retries = f.queue.RetrySet();
  REQUIRE(retries.size() == 1);
  JobPayload job = Decode(retries[0].raw);
  CHECK(job.error_class == "ArgumentError");
  CHECK(job.error_message.value_or("").find("wrong number of arguments") != std::string::npos);
}

TEST_CASE("an exception thrown by job code is caught and retried", "[worker][poison]") {
  Fixture f;
  auto worker = f.MakeWorker();
  f.RunOne(*worker, f.Raw("ThrowingWorker", {}));
  auto retries = f.queue.RetrySet();
  REQUIRE(retries.size() == 1);
  JobPayload job = Decode(retries[0].raw);
  CHECK(job.error_class == "std::runtime_error");
  CHECK(job.error_message == "kaboom");
}

TEST_CASE("a retried job keeps the queue it was fetched from", "[worker][retry]") {
  Fixture f;
  auto worker = f.MakeWorker();
  f.RunOne(*worker, f.Raw("FailingWorker", {}, true, "mail"), "mail");
  REQUIRE(f.queue.RetrySet().size() == 1);
  CHECK(Decode(f.queue.RetrySet()[0].raw).queue == "mail");
}

TEST_CASE("a job whose outcome can never be written is parked after 5 tries, not re-run forever",
          "[worker][retry][reconcile]") {
  Fixture f;
  f.options.concurrency = 1;
  f.options.report_retry_ms = 1;
  f.options.result_backoff_ms = 20;
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  f.queue.FailReports(1000000);  // the retry key stays unusable
  REQUIRE(f.queue.Push("default", f.Raw("FailingWorker", {})).ok());
  // Each run sends its email (FailingWorker's send fails, but it is attempted): 5 runs, no more.
  for (int i = 0; i < 200 && worker->parked_total() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(worker->parked_total() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // many backoffs' worth
  CHECK(f.queue.WaitUntil([](const MemoryJobQueue& q) { return q.InProgressLocked() == 1; }, 0));
  CHECK(f.queue.Waiting("default").empty());
  worker->Stop();
  CHECK(worker->failed_total() == 5);
}

TEST_CASE("a job whose outcome could not be written runs again in the live worker",
          "[worker][retry][reconcile]") {
  Fixture f;
  f.options.concurrency = 1;
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  f.queue.FailReports(5);  // every attempt of the first report: the worker gives up (~2 s)
  REQUIRE(f.queue.Push("default", f.Raw("FailingWorker", {})).ok());
  // The give-up leaves the job in our in-progress list, held for a 2 s backoff (not put back at
  // once: it would run, and repeat its side effects, every ~2 s); then the fetcher's reconcile
  // puts it back, it fails again, and this time its retry is written.
  REQUIRE(
      f.queue.WaitUntil([](const MemoryJobQueue& q) { return q.InProgressLocked() == 1; }, 2000));
  auto gave_up = std::chrono::steady_clock::now();
  REQUIRE(f.queue.WaitUntil(
      [](const MemoryJobQueue& q) { return q.RetryLocked() == 1 && q.InProgressLocked() == 0; },
      12000));
  CHECK(std::chrono::steady_clock::now() - gave_up >= std::chrono::milliseconds(1500));
  CHECK_FALSE(worker->WaitForStopRequest(0));  // still running
  CHECK(f.queue.Waiting("default").empty());
  worker->Stop();
  CHECK(worker->failed_total() == 2);  // counted after the report returns: read once joined
  CHECK(f.queue.RetrySet().size() == 1);
}
