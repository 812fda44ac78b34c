#include "workers/queue/redis_queue_scripts.h"

#include <string>

namespace fib::queue_scripts {
namespace {

// The fetch scripts' common steps. KEYS[1]: identity, KEYS[2]: index hash, ARGV[2]: now.
// A placeholder heartbeat (EXPIRE 60) when the identity key is missing, so no one takes this
// process's lists for orphans before its first beat; and an index entry for an in-progress list:
// the owner record plus "at", Redis's TIME in seconds (Recover keeps entries a while after it).
constexpr const char kFetchPrelude[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'beat', ARGV[2])
  redis.call('EXPIRE', KEYS[1], 60)
end
local function register(inprogress, record)
  local owner = cjson.decode(record)
  owner['at'] = tonumber(redis.call('TIME')[1])
  redis.call('HSET', KEYS[2], inprogress, cjson.encode(owner))
end
)lua";

}  // namespace

const RedisScript& Fetch() {
  static const RedisScript kScript(std::string(kFetchPrelude) + R"lua(
local n = tonumber(ARGV[1])
for i = 1, n do
  local inprogress = KEYS[2 + n + i]
  register(inprogress, ARGV[2 + i])
  local job = redis.call('LMOVE', KEYS[2 + i], inprogress, 'RIGHT', 'LEFT')
  if job then return {i, job} end
end
return false
)lua");
  return kScript;
}

const RedisScript& FetchBatch() {
  static const RedisScript kScript(std::string(kFetchPrelude) + R"lua(
local n = tonumber(ARGV[1])
local max = tonumber(ARGV[3])
for i = 1, n do
  local newest_first = redis.call('LRANGE', KEYS[2 + i], -max, -1)
  local k = #newest_first
  if k > 0 then
    local inprogress = KEYS[2 + n + i]
    register(inprogress, ARGV[3 + i])
    local oldest_first = {}
    for j = k, 1, -1 do oldest_first[#oldest_first + 1] = newest_first[j] end
    redis.call('LPUSH', inprogress, unpack(oldest_first))
    redis.call('LTRIM', KEYS[2 + i], 0, -k - 1)
    local reply = {i, redis.call('LLEN', KEYS[2 + i])}
    for j = 1, k do reply[j + 2] = oldest_first[j] end
    return reply
  end
end
-- Every queue is empty: the caller blocks next with BLMOVE into the first queue's in-progress
-- list, so register that list now, or a job the block receives could never be recovered.
register(KEYS[3 + n], ARGV[4])
return false
)lua");
  return kScript;
}

const RedisScript& Recover() {
  static const RedisScript kScript(R"lua(
if redis.call('EXISTS', KEYS[2]) == 1 then return {-1} end
local max = tonumber(ARGV[3])
local n, poison = 0, {}
-- Each job's recoveries are counted (a key per payload text, kept ARGV[4] s): one recovered more
-- than ARGV[3] times keeps crashing its workers, so it stays in the list for the caller to bury.
for _, job in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local count = 0
  if max > 0 then
    local key = ARGV[5] .. redis.sha1hex(job)
    count = redis.call('INCR', key)
    redis.call('EXPIRE', key, ARGV[4])
  end
  if max > 0 and count > max then
    poison[#poison + 1] = job
  else
    redis.call('RPUSH', KEYS[3], job)
    n = n + 1
  end
end
redis.call('DEL', KEYS[1])
if #poison > 0 then redis.call('RPUSH', KEYS[1], unpack(poison)) end
-- A missing heartbeat key does not prove the owner dead (a stalled process, an evicting Redis):
-- a BLMOVE it sent after its last fetch script may still fill the list. Fetch scripts stamp the
-- entry with Redis's clock, so keep it until no such BLMOVE can be pending (and while poison
-- jobs wait in the list to be buried).
local owner = cjson.decode(redis.call('HGET', KEYS[4], KEYS[1]) or '{}')
local at = type(owner) == 'table' and tonumber(owner['at'])
if #poison == 0 and (not at or tonumber(redis.call('TIME')[1]) - at >= tonumber(ARGV[2])) then
  redis.call('HDEL', KEYS[4], KEYS[1])
end
if n > 0 then redis.call('SADD', 'queues', ARGV[1]) end
local reply = {n}
for i = 1, #poison do reply[i + 1] = poison[i] end
return reply
)lua");
  return kScript;
}

const RedisScript& BuryRecovered() {
  static const RedisScript kScript(R"lua(
if not redis.call('LPOS', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('DEL', ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -10001)
return 1
)lua");
  return kScript;
}

const RedisScript& ReapDead() {
  static const RedisScript kScript(R"lua(
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', 'processes', KEYS[1])
return 1
)lua");
  return kScript;
}

const RedisScript& Requeue() {
  static const RedisScript kScript(R"lua(
if not redis.call('LPOS', KEYS[1], ARGV[1]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LREM', KEYS[1], 1, ARGV[1])
redis.call('SADD', 'queues', ARGV[2])
return 1
)lua");
  return kScript;
}

const RedisScript& Retry() {
  static const RedisScript kScript(R"lua(
if not redis.call('LPOS', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('LREM', KEYS[1], 1, ARGV[1])
return 1
)lua");
  return kScript;
}

const RedisScript& EnqueueOne() {
  static const RedisScript kScript(R"lua(
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SADD', 'queues', ARGV[3])
return 1
)lua");
  return kScript;
}

const RedisScript& BuryOne() {
  static const RedisScript kScript(R"lua(
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4] or ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -10001)
return 1
)lua");
  return kScript;
}

}  // namespace fib::queue_scripts
