// EmailJoin: emails joined to requests by X-Request-Id (fed pages as GET /messages returns them).
#include "bench/loadgen/email_join.h"

#include <catch2/catch.hpp>

namespace {

nlohmann::json Message(int64_t id, const std::string& request_id, int64_t received_at) {
  return {{"id", id},
          {"to", {"u@example.com"}},
          {"received_at", received_at},
          {"headers", {{"X-Request-Id", request_id}}},
          {"request_id", request_id}};
}

}  // namespace

TEST_CASE("EmailJoin joins by X-Request-Id and records intended send -> received", "[e2e]") {
  std::vector<fib::SentRequest> sent;
  for (int64_t n = 1; n <= 150; ++n) sent.push_back({n, 1'000'000 * n, 5'000});
  fib::EmailJoin join("run1", sent);
  nlohmann::json page = nlohmann::json::array();
  page.push_back(Message(1, "run1-1", 1'000'000 + 20'000));
  page.push_back(Message(2, "run1-2", 2'000'000 + 40'000));
  page.push_back(Message(3, "run1-2", 2'000'000 + 41'000));  // duplicate
  page.push_back(Message(4, "other-3", 3'000'000));          // another run
  page.push_back(Message(5, "run1-9999", 3'000'000));        // not a measured 2xx request
  page.push_back(Message(6, "run1-3", 3'000'000 + 1'000));   // before the response (5 ms)
  nlohmann::json header_only = Message(7, "run1-4", 4'000'000 + 10'000);
  header_only.erase("request_id");
  header_only["headers"] = {{"x-request-id", "run1-4"}};
  page.push_back(header_only);
  join.AddMessages(page);
  CHECK(join.last_id() == 7);
  CHECK_FALSE(join.complete());
  fib::EmailJoinResult r = join.Finish();
  CHECK(r.expected == 150);
  CHECK(r.received == 4);
  CHECK(r.missing == 146);
  CHECK(r.duplicates == 1);
  CHECK(r.before_response == 1);
  REQUIRE(r.missing_ids.size() == 100);
  CHECK(r.missing_ids.front() == "run1-5");
  CHECK(r.e2e.total_count() == 4);
  CHECK(r.e2e.Max() == r.e2e.HighestEquivalentValue(40'000));
  CHECK(r.e2e.Min() == 1'000);
}

// The load generator long-polls the sink for the oldest email still missing (GET /messages/wait),
// so it must name that one, in send order, whatever order the emails arrive in.
TEST_CASE("EmailJoin names the oldest request still without its email", "[e2e]") {
  std::vector<fib::SentRequest> sent;
  for (int64_t n : {3, 1, 2, 4}) sent.push_back({n, 1'000'000 * n, 5'000});
  fib::EmailJoin join("run1", sent);
  CHECK(join.OldestMissingId() == "run1-1");
  join.AddMessages(nlohmann::json::array({Message(1, "run1-2", 2'100'000)}));
  CHECK(join.OldestMissingId() == "run1-1");  // 2 arrived first; 1 is still the oldest missing
  join.AddMessages(nlohmann::json::array({Message(2, "run1-1", 1'100'000)}));
  CHECK(join.OldestMissingId() == "run1-3");
  join.AddMessages(
      nlohmann::json::array({Message(3, "run1-3", 3'100'000), Message(4, "run1-4", 4'100'000)}));
  CHECK(join.OldestMissingId().empty());
  CHECK(join.complete());
}
