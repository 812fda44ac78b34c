// RedisJobQueue: JobQueue over Redis in Sidekiq 6.4's keys and wire format
// (docs/sidekiq-format.md), with reliable fetch: a fetched job lives in
// `fibtastic:inprogress:<identity>:<queue>` until acked, and RecoverOrphans puts back the jobs of
// processes whose heartbeat key has expired (or, with owner_gone, of processes on this machine
// proved dead, e.g. by kill -9, at once).
// Thread-safety: every method may be called from many threads at once. Non-blocking commands
// share a bounded pool; each concurrent Fetch uses a connection of its own.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/redis/redis_pool.h"
#include "common/redis/redis_url.h"
#include "common/status.h"
#include "workers/queue/job_queue.h"

namespace fib {

struct RedisQueueOptions {
  std::string url = "redis://127.0.0.1:6379/0";
  int connect_timeout_ms = 1000;
  int command_timeout_ms = 2000;  // non-blocking commands
  int pool_size = 8;              // connections for non-blocking commands
  std::string identity;           // this process's identity (consumers); "" for producers
  const Clock* clock = nullptr;   // nullptr = SystemClock::Default()
  // With several queues, Fetch blocks on the first queue for at most this long before looking
  // at the others again, so a job in a lower-priority queue waits at most this long.
  int multi_queue_block_ms = 500;
  // Fast recovery of local processes killed with -9: `liveness_token` (ProcessLivenessToken) is
  // published with each heartbeat; RecoverOrphans calls `owner_gone` (ProcessProvablyGone) on the
  // token of each in-progress list's live-looking owner and, when it is gone, recovers the list
  // at once instead of after the owner's 60 s heartbeat expiry. Empty/null: expiry only.
  std::string liveness_token;
  std::function<bool(const std::string& token)> owner_gone;
  // A job recovered from dead workers more than this many times goes to dead as a poison pill
  // (PoisonPillError) instead of back to its queue; 0 = no limit. Counts are kept for a day.
  int max_recoveries = 3;
};

// Key names (Sidekiq's, plus ours for reliable fetch).
std::string QueueKey(const std::string& queue);  // "queue:<queue>"
std::string InProgressKey(const std::string& identity, const std::string& queue);
// "fibtastic:recovered:<queue>": jobs recovered from dead processes, each to be run alone.
std::string RecoveredKey(const std::string& queue);
inline constexpr const char kInProgressIndexKey[] = "fibtastic:inprogress";  // hash: list -> owner
// How long recovery keeps an index entry after the owner's last fetch stamped it: longer than any
// BLMOVE the owner may still have pending (fetch timeouts are seconds).
inline constexpr int kIndexEntryKeepSeconds = 60;

class RedisJobQueue : public JobQueue {
 public:
  // Never blocks and never fails: connections are made on first use and re-made after errors,
  // so a Redis that is down makes calls return errors (quickly, bounded by the timeouts) and a
  // Redis that comes back is used again without a restart. A bad URL makes every call fail
  // with the parse error.
  explicit RedisJobQueue(RedisQueueOptions options);
  ~RedisJobQueue() override;

  Status Push(const std::string& queue, const std::string& raw) override;
  Status PushBulk(const std::string& queue, const std::vector<std::string>& raws) override;
  Status Schedule(double at_seconds, const std::string& raw) override;

  // REQUIRES: options.identity is not empty. Strict order: the first non-empty queue wins.
  // If this process has no heartbeat key yet, a placeholder (expiring in 60 s) is written so
  // RecoverOrphans never takes the jobs of a process that has not beaten yet.
  Result<std::optional<FetchedJob>> Fetch(const std::vector<std::string>& queues,
                                          int timeout_ms) override;
  Status Ack(const FetchedJob& job) override;
  // As Fetch (identity, strict order, placeholder heartbeat, blocking on the first queue), but
  // moves up to max_jobs (at most 1000) jobs of one queue in one Lua script. After blocking it
  // returns the single job that woke it. `left` is the queue's length after the move.
  Result<FetchedBatch> FetchBatch(const std::vector<std::string>& queues, int max_jobs,
                                  int timeout_ms) override;
  // One round trip: pipelined LREMs, each removing one copy of a job from its in-progress list.
  Status AckBatch(const std::vector<FetchedJob>& jobs) override;
  Status Retry(const FetchedJob& job, const std::string& updated_raw, double at_seconds) override;
  Status Kill(const FetchedJob& job, const std::string& updated_raw, double now_seconds) override;
  // Pushes back only if the job is still in this process's in-progress list (so a job already
  // recovered by another process is not duplicated).
  Status Requeue(const FetchedJob& job) override;
  // LRANGEs this process's in-progress list of each queue (one round trip).
  Result<std::vector<FetchedJob>> ListInProgress(const std::vector<std::string>& queues) override;

  Result<int> EnqueueDue(double now_seconds) override;
  // Strict order over the recovered lists of `queues`; never blocks. REQUIRES: identity.
  Result<std::optional<FetchedJob>> FetchRecovered(const std::vector<std::string>& queues) override;
  // Crashed: INCRs the job's recovery count; past max_recoveries it is buried as
  // PoisonPillError (dead written first). Else, or not crashed: back to its recovered list.
  Status ReturnRecovered(const FetchedJob& job, bool crashed, const std::string& why) override;
  // Recovers lists whose owner's heartbeat key is gone, or (with owner_gone) whose owner is proved
  // dead on this machine. Never touches the lists of a live process.
  Result<int> RecoverOrphans() override;
  Result<std::vector<std::string>> Heartbeat(const ProcessInfo& process,
                                             const std::vector<BusyJob>& busy,
                                             int64_t processed_delta, int64_t failed_delta,
                                             double now_seconds) override;
  Status Unregister(const ProcessInfo& process) override;

  const std::string& identity() const { return options_.identity; }

 private:
  Status CheckUsable() const;
  Status CheckFetchArguments(const std::vector<std::string>& queues) const;
  Result<std::optional<FetchedJob>> BlockOnFirstQueue(RedisConnection& connection,
                                                      const std::vector<std::string>& queues,
                                                      int remaining_ms);
  Result<FetchedBatch> FetchBatchNow(RedisConnection& connection,
                                     const std::vector<std::string>& queues, int max_jobs,
                                     double now_seconds);
  // From the queues, or with `recovered` from their recovered lists.
  Result<std::optional<FetchedJob>> FetchNow(RedisConnection& connection,
                                             const std::vector<std::string>& queues,
                                             double now_seconds, bool recovered = false);
  Result<int> EnqueueDueFrom(RedisConnection& connection, const std::string& set,
                             double now_seconds);
  Result<bool> EnqueueOne(RedisConnection& connection, const std::string& set,
                          const std::string& raw, double now_seconds);
  Status SkipBadDue(RedisConnection& connection, const std::string& set, const std::string& raw,
                    const Status& error, double now_seconds);
  // Moves `raw` from `set` to dead, storing `stored` there (the same text, or one with failure
  // fields); trims dead as Kill does.
  Status BuryDue(RedisConnection& connection, const std::string& set, const std::string& raw,
                 const std::string& stored, double now_seconds);
  Result<int> RecoverList(RedisConnection& connection, const std::string& list,
                          const std::string& owner_json);
  // Moves `raw` from `list` to dead as PoisonPillError: the process running it died `deaths`
  // times, the last as `why` says.
  Status BuryPoison(RedisConnection& connection, const std::string& list, const std::string& raw,
                    int64_t deaths, const std::string& why);
  // Returns whether `identity` was proved dead (owner_gone) and unregistered.
  Result<bool> ReapIfDead(RedisConnection& connection, const std::string& identity);

  const RedisQueueOptions options_;
  const Clock& clock_;
  Status url_error_;                       // set when options.url does not parse
  std::unique_ptr<RedisPool> pool_;        // non-blocking commands
  std::unique_ptr<RedisPool> fetch_pool_;  // one connection per concurrent Fetch
  std::mutex due_failures_mu_;
  std::map<std::string, int> due_failures_;  // due job text -> failed moves (SkipBadDue)
};

}  // namespace fib
