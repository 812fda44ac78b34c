#include "workers/queue/redis_job_queue.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "workers/queue/heartbeat_commands.h"
#include "workers/queue/job_payload.h"
#include "workers/queue/redis_queue_scripts.h"

namespace fib {
namespace {

using Json = nlohmann::json;

constexpr double kDeadMaxAgeSeconds = 180.0 * 24 * 3600;  // Sidekiq's dead_timeout_in_seconds
constexpr int kDueBatch = 100;
constexpr int kDueFailuresBeforeDead = 5;
constexpr int kRecoveryCountKeepSeconds = 24 * 3600;  // a job's recoveries count for a day
constexpr const char kRecoveryCountPrefix[] =
    "fibtastic:recoveries:";         // passes a due job may fail to move before it is buried
constexpr int kMaxBatchJobs = 1000;  // the batch script unpacks this many values at most

std::string OwnerRecord(const std::string& identity, const std::string& queue) {
  return Json{{"identity", identity}, {"queue", queue}}.dump();
}

Status EmptyQueueNameError() {
  return Status::Error("queue name is empty: pass a queue such as \"default\"");
}

Status CheckReplies(const Result<std::vector<RedisValue>>& replies, const std::string& what,
                    const RedisUrl& url) {
  if (!replies.ok()) return replies.status();
  return FirstReplyError(*replies, what, url);
}

}  // namespace

std::string QueueKey(const std::string& queue) { return "queue:" + queue; }

std::string InProgressKey(const std::string& identity, const std::string& queue) {
  return "fibtastic:inprogress:" + identity + ":" + queue;
}

std::string RecoveredKey(const std::string& queue) { return "fibtastic:recovered:" + queue; }

RedisJobQueue::RedisJobQueue(RedisQueueOptions options)
    : options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : *SystemClock::Default()) {
  Result<RedisUrl> url = ParseRedisUrl(options_.url);
  if (!url.ok()) {
    url_error_ = url.status();
    return;
  }
  RedisPoolOptions pool;
  pool.connection.connect_timeout_ms = options_.connect_timeout_ms;
  pool.connection.command_timeout_ms = options_.command_timeout_ms;
  pool.pool_size = options_.pool_size;
  pool.checkout_timeout_ms = options_.command_timeout_ms;
  pool_ = std::make_unique<RedisPool>(*url, pool);
  // Every concurrent Fetch gets a connection of its own: a blocked BLMOVE must never hold up
  // the pool that Push and Ack use.
  pool.pool_size = INT_MAX;
  fetch_pool_ = std::make_unique<RedisPool>(*url, pool);
}

RedisJobQueue::~RedisJobQueue() = default;

Status RedisJobQueue::CheckUsable() const { return url_error_; }

// ---- producing ----

Status RedisJobQueue::Push(const std::string& queue, const std::string& raw) {
  return PushBulk(queue, {raw});
}

Status RedisJobQueue::PushBulk(const std::string& queue, const std::vector<std::string>& raws) {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  if (queue.empty()) return EmptyQueueNameError();
  if (raws.empty()) return Status::Ok();
  std::vector<std::string> lpush = {"LPUSH", QueueKey(queue)};
  lpush.insert(lpush.end(), raws.begin(), raws.end());
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto replies = (*lease)->Pipeline({{"SADD", "queues", queue}, std::move(lpush)});
  return CheckReplies(replies, "LPUSH " + QueueKey(queue), pool_->url());
}

Status RedisJobQueue::Schedule(double at_seconds, const std::string& raw) {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  auto reply = pool_->Command({"ZADD", "schedule", FormatEpochSeconds(at_seconds), raw});
  return reply.status();
}

// ---- consuming ----

Result<std::optional<FetchedJob>> RedisJobQueue::FetchNow(RedisConnection& connection,
                                                          const std::vector<std::string>& queues,
                                                          double now_seconds, bool recovered) {
  const std::string& identity = options_.identity;
  std::vector<std::string> keys = {identity, kInProgressIndexKey};
  std::vector<std::string> args = {std::to_string(queues.size()), FormatEpochSeconds(now_seconds)};
  for (const std::string& queue : queues) {
    keys.push_back(recovered ? RecoveredKey(queue) : QueueKey(queue));
  }
  for (const std::string& queue : queues) {
    keys.push_back(InProgressKey(identity, queue));
    args.push_back(OwnerRecord(identity, queue));
  }
  auto reply = connection.Eval(queue_scripts::Fetch(), keys, args);
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements.size() != 2) return std::optional<FetchedJob>();
  size_t index = static_cast<size_t>(reply->elements[0].integer);
  if (index < 1 || index > queues.size()) {
    return Status::Error("fetch script returned queue index " + std::to_string(index));
  }
  return std::optional<FetchedJob>(FetchedJob{queues[index - 1], reply->elements[1].str});
}

Status RedisJobQueue::CheckFetchArguments(const std::vector<std::string>& queues) const {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  if (options_.identity.empty()) {
    return Status::Error(
        "Fetch needs RedisQueueOptions.identity (hostname:pid:hex) so fetched "
        "jobs can be recovered if this process dies");
  }
  if (queues.empty()) return Status::Error("Fetch needs at least one queue name");
  for (const std::string& queue : queues) {
    if (queue.empty()) return EmptyQueueNameError();
  }
  return Status::Ok();
}

// Strict order costs one trade-off: Redis can block-and-move from one list only, so after the
// non-blocking script finds every queue empty we block on the first queue alone. A job arriving
// in a lower queue then waits up to multi_queue_block_ms; with one queue nothing waits, and an
// idle fetcher costs Redis one script + one BLMOVE per slice instead of a busy loop.
Result<std::optional<FetchedJob>> RedisJobQueue::BlockOnFirstQueue(
    RedisConnection& connection, const std::vector<std::string>& queues, int remaining_ms) {
  int block_ms = remaining_ms;
  if (queues.size() > 1) block_ms = std::min(block_ms, options_.multi_queue_block_ms);
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.3f", std::max(block_ms, 1) / 1000.0);
  auto moved = connection.BlockingCommand(
      {"BLMOVE", QueueKey(queues[0]), InProgressKey(options_.identity, queues[0]), "RIGHT", "LEFT",
       seconds},
      block_ms);
  if (!moved.ok()) return moved.status();
  if (!moved->is_string()) return std::optional<FetchedJob>();
  return std::optional<FetchedJob>(FetchedJob{queues[0], std::move(moved->str)});
}

namespace {

int64_t RemainingMs(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                               std::chrono::steady_clock::now())
      .count();
}

}  // namespace

Result<std::optional<FetchedJob>> RedisJobQueue::Fetch(const std::vector<std::string>& queues,
                                                       int timeout_ms) {
  if (Status ok = CheckFetchArguments(queues); !ok.ok()) return ok;
  auto lease = fetch_pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    auto job = FetchNow(**lease, queues, clock_.NowSeconds());
    if (!job.ok() || job->has_value()) return job;
    int64_t remaining_ms = RemainingMs(deadline);
    if (remaining_ms <= 0) return std::optional<FetchedJob>();
    auto moved = BlockOnFirstQueue(**lease, queues, static_cast<int>(remaining_ms));
    if (!moved.ok() || moved->has_value()) return moved;
  }
}

Result<FetchedBatch> RedisJobQueue::FetchBatchNow(RedisConnection& connection,
                                                  const std::vector<std::string>& queues,
                                                  int max_jobs, double now_seconds) {
  const std::string& identity = options_.identity;
  std::vector<std::string> keys = {identity, kInProgressIndexKey};
  std::vector<std::string> args = {std::to_string(queues.size()), FormatEpochSeconds(now_seconds),
                                   std::to_string(max_jobs)};
  for (const std::string& queue : queues) keys.push_back(QueueKey(queue));
  for (const std::string& queue : queues) {
    keys.push_back(InProgressKey(identity, queue));
    args.push_back(OwnerRecord(identity, queue));
  }
  auto reply = connection.Eval(queue_scripts::FetchBatch(), keys, args);
  if (!reply.ok()) return reply.status();
  FetchedBatch batch;
  if (!reply->is_array() || reply->elements.size() < 3) return batch;
  size_t index = static_cast<size_t>(reply->elements[0].integer);
  if (index < 1 || index > queues.size()) {
    return Status::Error("batch fetch script returned queue index " + std::to_string(index));
  }
  batch.left = reply->elements[1].integer;
  batch.jobs.reserve(reply->elements.size() - 2);
  for (size_t i = 2; i < reply->elements.size(); ++i) {
    batch.jobs.push_back(FetchedJob{queues[index - 1], std::move(reply->elements[i].str)});
  }
  return batch;
}

Result<FetchedBatch> RedisJobQueue::FetchBatch(const std::vector<std::string>& queues, int max_jobs,
                                               int timeout_ms) {
  if (Status ok = CheckFetchArguments(queues); !ok.ok()) return ok;
  if (max_jobs < 1) return Status::Error("FetchBatch needs max_jobs >= 1");
  max_jobs = std::min(max_jobs, kMaxBatchJobs);
  auto lease = fetch_pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    auto batch = FetchBatchNow(**lease, queues, max_jobs, clock_.NowSeconds());
    if (!batch.ok() || !batch->jobs.empty()) return batch;
    int64_t remaining_ms = RemainingMs(deadline);
    if (remaining_ms <= 0) return batch;
    // Woken by one job: return it at once (the caller's next batch takes the rest).
    auto moved = BlockOnFirstQueue(**lease, queues, static_cast<int>(remaining_ms));
    if (!moved.ok()) return moved.status();
    if (moved->has_value()) {
      FetchedBatch one;
      one.jobs.push_back(std::move(**moved));
      return one;
    }
  }
}

Status RedisJobQueue::Ack(const FetchedJob& job) {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  auto reply = pool_->Command({"LREM", InProgressKey(options_.identity, job.queue), "1", job.raw});
  return reply.status();
}

// One pipelined LREM per job. Count -1 scans from the tail, where the oldest fetched jobs (the
// ones finishing first) sit, so each LREM stops after a few comparisons.
Status RedisJobQueue::AckBatch(const std::vector<FetchedJob>& jobs) {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  if (jobs.empty()) return Status::Ok();
  std::vector<std::vector<std::string>> commands;
  commands.reserve(jobs.size());
  for (const FetchedJob& job : jobs) {
    commands.push_back({"LREM", InProgressKey(options_.identity, job.queue), "-1", job.raw});
  }
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto replies = (*lease)->Pipeline(commands);
  return CheckReplies(replies, "LREM (batched acks)", pool_->url());
}

Status RedisJobQueue::Retry(const FetchedJob& job, const std::string& updated_raw,
                            double at_seconds) {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto reply =
      (*lease)->Eval(queue_scripts::Retry(), {InProgressKey(options_.identity, job.queue), "retry"},
                     {job.raw, FormatEpochSeconds(at_seconds), updated_raw});
  return reply.status();
}

Status RedisJobQueue::Kill(const FetchedJob& job, const std::string& updated_raw,
                           double now_seconds) {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  // The new place first, then the old one (as every move here): a failed ZADD leaves the job in
  // our in-progress list, never nowhere. Plain commands, not a script: Redis keeps a large
  // argument as it read it, while a script copies every argument into Lua and back with Redis
  // blocked for everyone (a 5 MB payload held Redis 0.3-0.5 s that way on a loaded 2-core VM).
  const std::string list = InProgressKey(options_.identity, job.queue);
  auto added = (*lease)->Pipeline(
      {{"ZADD", "dead", FormatEpochSeconds(now_seconds), updated_raw},
       {"ZREMRANGEBYSCORE", "dead", "-inf", FormatEpochSeconds(now_seconds - kDeadMaxAgeSeconds)},
       {"ZREMRANGEBYRANK", "dead", "0", "-10001"}});
  if (Status status = CheckReplies(added, "ZADD dead", pool_->url()); !status.ok()) {
    return Status::Error(status.message() + " (the job stays in " + list + ")");
  }
  auto removed = (*lease)->Command({"LREM", list, "1", job.raw});
  if (!removed.ok()) {
    return Status::Error("the job is in the dead set but could not be removed from " + list +
                         " (it may run once more): " + removed.message());
  }
  if (removed->integer == 0) {
    // Recovered by another process meanwhile (we looked dead to it): it runs again from its queue,
    // so it must not stay dead as well.
    auto undone = (*lease)->Command({"ZREM", "dead", updated_raw});
    if (!undone.ok()) return undone.status();
    Log("jid={}: not moved to dead: another process recovered it meanwhile and it runs again",
        PeekPayload(job.raw).jid);
  }
  return Status::Ok();
}

Status RedisJobQueue::Requeue(const FetchedJob& job) {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto reply = (*lease)->Eval(queue_scripts::Requeue(),
                              {InProgressKey(options_.identity, job.queue), QueueKey(job.queue)},
                              {job.raw, job.queue});
  return reply.status();
}

// One pipelined LRANGE per queue. The lists grow at the head (LPUSH), so each is reversed to
// give the oldest fetched job first.
Result<std::vector<FetchedJob>> RedisJobQueue::ListInProgress(
    const std::vector<std::string>& queues) {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  std::vector<FetchedJob> listed;
  if (queues.empty()) return listed;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(queues.size());
  for (const std::string& queue : queues) {
    commands.push_back({"LRANGE", InProgressKey(options_.identity, queue), "0", "-1"});
  }
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto replies = (*lease)->Pipeline(commands);
  if (Status status = CheckReplies(replies, "LRANGE (in-progress)", pool_->url()); !status.ok()) {
    return status;
  }
  for (size_t i = 0; i < queues.size(); ++i) {
    const RedisValue& reply = (*replies)[i];
    for (auto it = reply.elements.rbegin(); it != reply.elements.rend(); ++it) {
      listed.push_back(FetchedJob{queues[i], it->str});
    }
  }
  return listed;
}

// ---- housekeeping ----

Status RedisJobQueue::BuryDue(RedisConnection& connection, const std::string& set,
                              const std::string& raw, const std::string& stored,
                              double now_seconds) {
  auto buried = connection.Eval(queue_scripts::BuryOne(), {set, "dead"},
                                {raw, FormatEpochSeconds(now_seconds),
                                 FormatEpochSeconds(now_seconds - kDeadMaxAgeSeconds), stored});
  return buried.status();
}

Result<bool> RedisJobQueue::EnqueueOne(RedisConnection& connection, const std::string& set,
                                       const std::string& raw, double now_seconds) {
  Result<JobPayload> payload = DecodePayload(raw);
  if (!payload.ok()) {
    // Pushing it would make every worker fail on it, and leaving it would retry forever.
    if (Status s = BuryDue(connection, set, raw, raw, now_seconds); !s.ok()) return s;
    Log("moved an undecodable job from {} to dead: {}", set, payload.message());
    return false;
  }
  payload->enqueued_at = now_seconds;
  auto moved = connection.Eval(queue_scripts::EnqueueOne(), {set, QueueKey(payload->queue)},
                               {raw, EncodePayload(*payload), payload->queue});
  if (!moved.ok()) return moved.status();
  return moved->integer == 1;
}

// A due job that cannot be moved (its queue key holds another type, a script error): skipped so
// the rest move on, and buried after kDueFailuresBeforeDead passes. Returns an error only when
// Redis itself is unreachable (then nothing else would move either).
Status RedisJobQueue::SkipBadDue(RedisConnection& connection, const std::string& set,
                                 const std::string& raw, const Status& error, double now_seconds) {
  if (!connection.Command({"PING"}).ok()) return error;
  int failures = 0;
  {
    std::lock_guard lock(due_failures_mu_);
    if (due_failures_.size() > 10000) due_failures_.clear();  // bounded; counts restart
    failures = ++due_failures_[raw];
  }
  std::string jid = PeekPayload(raw).jid;
  if (failures < kDueFailuresBeforeDead) {
    Log("skipped a due job in {} (jid={}), attempt {} of {} before it goes to dead: {}", set, jid,
        failures, kDueFailuresBeforeDead, error.message());
    return Status::Ok();
  }
  Result<JobPayload> payload = DecodePayload(raw);  // EnqueueOne decoded it already: it decodes
  if (!payload.ok()) return payload.status();
  payload->error_class = "EnqueueError";
  payload->error_message = fmt::format("could not be moved from {} to its queue {} times: {}", set,
                                       failures, error.message());
  payload->failed_at = now_seconds;
  if (Status s = BuryDue(connection, set, raw, EncodePayload(*payload), now_seconds); !s.ok()) {
    Log("cannot bury the unmovable due job jid={} either (it stays in {}): {}", jid, set,
        s.message());
    return Status::Ok();
  }
  std::lock_guard lock(due_failures_mu_);
  due_failures_.erase(raw);
  Log("moved due job jid={} from {} to dead after {} failed moves: {}", jid, set, failures,
      error.message());
  return Status::Ok();
}

Result<int> RedisJobQueue::EnqueueDueFrom(RedisConnection& connection, const std::string& set,
                                          double now_seconds) {
  int moved = 0, skipped = 0;
  while (true) {
    auto due = connection.Command({"ZRANGEBYSCORE", set, "-inf", FormatEpochSeconds(now_seconds),
                                   "LIMIT", std::to_string(skipped), std::to_string(kDueBatch)});
    if (!due.ok()) return due.status();
    if (due->elements.empty()) return moved;
    // Each member leaves the zset in this pass (moved by us, by another worker, or buried) or is
    // skipped past, so the loop ends.
    for (const RedisValue& member : due->elements) {
      auto one = EnqueueOne(connection, set, member.str, now_seconds);
      if (one.ok()) {
        moved += *one ? 1 : 0;
        continue;
      }
      if (Status s = SkipBadDue(connection, set, member.str, one.status(), now_seconds); !s.ok()) {
        return s;
      }
      ++skipped;  // still there, or buried: then the offset skips one more than needed, once
    }
  }
}

Result<int> RedisJobQueue::EnqueueDue(double now_seconds) {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  int total = 0;
  for (const char* set : {"retry", "schedule"}) {
    auto moved = EnqueueDueFrom(**lease, set, now_seconds);
    if (!moved.ok()) return moved.status();
    total += *moved;
  }
  return total;
}

Result<int> RedisJobQueue::RecoverList(RedisConnection& connection, const std::string& list,
                                       const std::string& owner_json) {
  Json owner = Json::parse(owner_json, nullptr, false);
  if (!owner.is_object() || !owner["identity"].is_string() || !owner["queue"].is_string()) {
    // Kept, not dropped: the list's jobs stay findable for a person to requeue.
    return Status::Error("in-progress index entry " + list + " has an unreadable owner record (" +
                         owner_json.substr(0, 200) +
                         "); its jobs were left in place: move them back with LMOVE and HDEL "
                         "the entry");
  }
  std::string queue = owner["queue"].get<std::string>();
  std::string identity = owner["identity"].get<std::string>();
  std::vector<std::string> keys = {list, identity, RecoveredKey(queue), kInProgressIndexKey};
  std::vector<std::string> args = {queue, std::to_string(kIndexEntryKeepSeconds),
                                   std::to_string(std::max(0, options_.max_recoveries)),
                                   std::to_string(kRecoveryCountKeepSeconds), kRecoveryCountPrefix};
  auto moved = connection.Eval(queue_scripts::Recover(), keys, args);
  if (!moved.ok()) return moved.status();
  if (!moved->elements.empty() && moved->elements[0].integer == -1) {
    auto reaped = ReapIfDead(connection, identity);
    if (!reaped.ok()) return reaped.status();
    if (*reaped) moved = connection.Eval(queue_scripts::Recover(), keys, args);
    if (!moved.ok()) return moved.status();
  }
  if (moved->elements.empty()) return Status::Error("Recover script gave an empty reply");
  for (size_t i = 1; i < moved->elements.size(); ++i) {
    if (Status s = BuryPoison(connection, list, moved->elements[i].str, options_.max_recoveries + 1,
                              "its worker was found dead: heartbeat expired or process gone");
        !s.ok()) {
      return s;
    }
  }
  return static_cast<int>(std::max<int64_t>(0, moved->elements[0].integer));
}

// A job recovered more than max_recoveries times has crashed (or been killed with) that many
// processes: a poison pill, as Sidekiq Pro's super_fetch calls it. It goes to dead with the reason,
// so it cannot take a worker's other jobs down again.
Status RedisJobQueue::BuryPoison(RedisConnection& connection, const std::string& list,
                                 const std::string& raw, int64_t deaths, const std::string& why) {
  double now = clock_.NowSeconds();
  std::string message = fmt::format(
      "the process running it died {} times (the last: {}): a poison pill; moved to dead so it "
      "cannot take other jobs down again (--max-recoveries {})",
      deaths, why, options_.max_recoveries);
  std::string stored = raw;  // undecodable (or too deep): kept as it was, as Sidekiq does
  if (Result<JobPayload> payload = DecodePayload(raw); payload.ok()) {
    payload->error_class = "PoisonPillError";
    payload->error_message = message;
    payload->failed_at = now;
    stored = EncodePayload(*payload);
  }
  std::string count_key = std::string(kRecoveryCountPrefix) + Sha1Hex(raw);
  auto buried = connection.Eval(queue_scripts::BuryRecovered(), {list, "dead"},
                                {raw, FormatEpochSeconds(now), stored, count_key,
                                 FormatEpochSeconds(now - kDeadMaxAgeSeconds)});
  if (!buried.ok()) return buried.status();
  PayloadPeek peek = PeekPayload(raw);
  if (buried->integer == 1) {
    Log("jid={} class={}: PoisonPillError: {}", peek.jid, peek.class_name, message);
  }
  return Status::Ok();
}

Result<std::optional<FetchedJob>> RedisJobQueue::FetchRecovered(
    const std::vector<std::string>& queues) {
  if (Status checked = CheckFetchArguments(queues); !checked.ok()) return checked;
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  return FetchNow(**lease, queues, clock_.NowSeconds(), /*recovered=*/true);
}

Status RedisJobQueue::ReturnRecovered(const FetchedJob& job, bool crashed, const std::string& why) {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  const std::string list = InProgressKey(options_.identity, job.queue);
  if (crashed && options_.max_recoveries > 0) {
    // Counted first: a crash of this process before the move back counts once more, never less.
    std::string count_key = std::string(kRecoveryCountPrefix) + Sha1Hex(job.raw);
    auto counted = (*lease)->Pipeline(
        {{"INCR", count_key}, {"EXPIRE", count_key, std::to_string(kRecoveryCountKeepSeconds)}});
    if (Status status = CheckReplies(counted, "INCR " + count_key, pool_->url()); !status.ok()) {
      return status;
    }
    int64_t deaths = (*counted)[0].integer;
    if (deaths > options_.max_recoveries) return BuryPoison(**lease, list, job.raw, deaths, why);
  }
  auto reply = (*lease)->Eval(queue_scripts::Requeue(), {list, RecoveredKey(job.queue)},
                              {job.raw, job.queue});
  return reply.status();
}

// The token is read, checked against /proc, and deleted only if unchanged: a dead process
// cannot beat again, and a live one never matches a dead token, so no live list is taken.
Result<bool> RedisJobQueue::ReapIfDead(RedisConnection& connection, const std::string& identity) {
  if (!options_.owner_gone) return false;
  auto token = connection.Command({"HGET", identity, kLivenessField});
  if (!token.ok()) return token.status();
  if (!token->is_string() || token->str.empty() || !options_.owner_gone(token->str)) return false;
  auto reaped = connection.Eval(queue_scripts::ReapDead(), {identity, identity + ":workers"},
                                {kLivenessField, token->str});
  if (!reaped.ok()) return reaped.status();
  if (reaped->integer != 1) return false;
  Log("process {} is gone from this machine (killed?): recovering its jobs now, without waiting "
      "for its heartbeat to expire",
      identity);
  return true;
}

Result<int> RedisJobQueue::RecoverOrphans() {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto lists = (*lease)->Command({"HGETALL", kInProgressIndexKey});
  if (!lists.ok()) return lists.status();
  int recovered = 0, failed = 0;
  Status first_error = Status::Ok();
  const auto& fields = lists->elements;
  // One bad entry must not keep the others' jobs from being recovered: go on, log the first.
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    auto moved = RecoverList(**lease, fields[i].str, fields[i + 1].str);
    if (moved.ok()) {
      recovered += *moved;
    } else if (++failed == 1) {
      first_error = moved.status();
    }
  }
  if (failed > 0) {
    Log("orphan recovery skipped {} of {} in-progress lists (tried again on the next pass); the "
        "first: {}",
        failed, fields.size() / 2, first_error.message());
  }
  return recovered;
}

Result<std::vector<std::string>> RedisJobQueue::Heartbeat(const ProcessInfo& process,
                                                          const std::vector<BusyJob>& busy,
                                                          int64_t processed_delta,
                                                          int64_t failed_delta,
                                                          double now_seconds) {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  if (process.identity.empty()) return Status::Error("Heartbeat needs ProcessInfo.identity");
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  ProcessInfo published = process;
  if (published.liveness_token.empty()) published.liveness_token = options_.liveness_token;
  // Sidekiq's rtt_us: one PING timed on the connection the heartbeat uses.
  auto ping_start = std::chrono::steady_clock::now();
  auto pong = (*lease)->Command({"PING"});
  if (!pong.ok()) return pong.status();
  auto rtt_us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - ping_start)
                    .count();
  std::vector<std::vector<std::string>> commands =
      HeartbeatCommands(published, busy, processed_delta, failed_delta, now_seconds, rtt_us);
  auto replies = (*lease)->Pipeline(commands);
  if (Status status = CheckReplies(replies, "the heartbeat (MULTI)", pool_->url()); !status.ok()) {
    return status;
  }
  const RedisValue& exec = replies->back();
  size_t lrange_index = commands.size() - kHeartbeatSignalsFromEnd - 1;  // MULTI not in EXEC
  if (!exec.is_array() || exec.elements.size() <= lrange_index) {
    return Status::Error("Redis at " + pool_->url().Redacted() +
                         " did not run the heartbeat transaction: " + exec.DebugString());
  }
  std::vector<std::string> signals;
  const auto& popped = exec.elements[lrange_index].elements;
  // The Web UI LPUSHes signals, so the oldest is last.
  for (auto it = popped.rbegin(); it != popped.rend(); ++it) signals.push_back(it->str);
  return signals;
}

Status RedisJobQueue::Unregister(const ProcessInfo& process) {
  if (Status usable = CheckUsable(); !usable.ok()) return usable;
  const std::string& id = process.identity;
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  auto replies =
      (*lease)->Pipeline({{"SREM", "processes", id}, {"DEL", id}, {"DEL", id + ":workers"}});
  return CheckReplies(replies, "SREM processes", pool_->url());
}

}  // namespace fib
