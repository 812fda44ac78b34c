// Unit tests of UnrecordedJobs: doubling backoff, parking after the cap, forgetting on success.
#include "workers/runtime/unrecorded_jobs.h"

#include <catch2/catch.hpp>

namespace fib {

TEST_CASE("a job whose result cannot be written is held for a doubling backoff, then parked") {
  UnrecordedJobs jobs(3);
  FetchedJob job{"default", R"({"jid":"a"})"}, other{"default", R"({"jid":"b"})"};
  CHECK(jobs.BackoffMs(1) == 2000);
  CHECK(jobs.BackoffMs(3) == 8000);
  CHECK(jobs.BackoffMs(30) == 60000);
  CHECK(UnrecordedJobs(5, 10).BackoffMs(2) == 20);

  CHECK_FALSE(jobs.AnyBackingOff());
  CHECK_FALSE(jobs.Failed(job, 0));
  CHECK(jobs.AnyBackingOff());
  CHECK(jobs.Holding(1999).size() == 1);
  CHECK_FALSE(jobs.AnyDue(1999));
  CHECK(jobs.AnyDue(2000));
  CHECK(jobs.Holding(2000).empty());  // due: the reconcile puts it back and it runs again
  CHECK_FALSE(jobs.AnyDue(2000));

  CHECK_FALSE(jobs.Failed(job, 10000));  // second failure: 4 s
  CHECK(jobs.Holding(13999).size() == 1);
  CHECK(jobs.Holding(14000).empty());
  CHECK(jobs.Failed(job, 20000));        // third: parked, for good
  CHECK_FALSE(jobs.Failed(job, 20001));  // counted once
  CHECK(jobs.parked() == 1);
  CHECK(jobs.Holding(1000000000).size() == 1);
  CHECK_FALSE(jobs.AnyDue(1000000000));
  CHECK_FALSE(jobs.AnyBackingOff());  // parked: nothing to wait for

  CHECK_FALSE(jobs.Failed(other, 0));
  jobs.Recorded(other);
  CHECK(jobs.Holding(0).size() == 1);  // only the parked one
  jobs.Recorded(job);
  CHECK(jobs.parked() == 0);
  CHECK(jobs.Holding(0).empty());
}

}  // namespace fib
