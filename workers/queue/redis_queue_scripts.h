// The Lua scripts RedisJobQueue runs, each one atomic step on the server (so a crash of the
// client between two writes cannot lose or duplicate a job), with their KEYS/ARGV contracts.
// Each writes a job's new place before removing it from the old one: Redis does not undo a
// script's earlier writes when a later command fails (e.g. WRONGTYPE), so a failure leaves the
// job where it was, never nowhere.
// Thread-safety: the returned scripts are immutable; share freely.
#pragma once

#include "common/redis/redis_script.h"

namespace fib::queue_scripts {

// Strict-order non-blocking fetch. KEYS: identity, index hash, n queue keys, n in-progress keys.
// ARGV: n, now (seconds), n owner records. Writes a placeholder heartbeat (EXPIRE 60) when the
// identity key is missing, registers the in-progress list in the index (the owner record plus
// "at": Redis's TIME in seconds), and LMOVEs the oldest job of the first non-empty queue.
// Returns {1-based queue index, job} or nil.
const RedisScript& Fetch();

// Strict-order non-blocking batch fetch: as up to ARGV[3] Fetches in a row, but from the first
// non-empty queue only. KEYS: identity, index hash, n queue keys, n in-progress keys. ARGV: n,
// now (seconds), max jobs (<= 1000: Lua's unpack limit), n owner records. Moves the oldest jobs
// (LRANGE + LTRIM + LPUSH) so the in-progress list ends as LMOVE one by one would leave it.
// Registers the in-progress list it fills, or, when every queue is empty, the first queue's
// (where the caller's BLMOVE will put a job). Returns {1-based queue index, jobs left in that
// queue, job, job, ...} (oldest first) or nil.
const RedisScript& FetchBatch();

// Recovers one orphaned in-progress list. KEYS: list, owner identity, the queue's recovered list
// (RecoveredKey: one of these jobs may be what killed the owner, so none goes back on the queue
// itself), index hash.
// ARGV: queue name, seconds an index entry is kept after the owner's last fetch stamped it, the
// most recoveries a job may have (0 = no limit), how long a job's count is kept (s), the count
// keys' prefix. Returns {-1} when the owner is alive, else {n, poison...}: n jobs went to the
// pop end of the recovered list (oldest fetched is popped first); each poison job (recovered more
// than the limit) stays in the list for BuryRecovered. Unregisters the list only once it is empty
// and its stamp is that old, so a BLMOVE the owner sent after its last fetch cannot fill an
// unregistered list.
const RedisScript& Recover();
// Moves one poison job from an orphaned list to dead, dead written first. KEYS: list, dead zset.
// ARGV: raw, now, the text to store, its recovery-count key, the dead set's age cutoff. Returns 0
// when the job is no longer in the list.
const RedisScript& BuryRecovered();

// Unregisters a process proved dead on its machine, so its lists count as orphans before its
// heartbeat key expires. KEYS: identity, `<identity>:workers`. ARGV: liveness field, the token
// that was proved dead. Deletes (and SREMs from `processes`) only while the key still holds that
// token. Returns 1 when it did, else 0.
const RedisScript& ReapDead();

// Requeue. KEYS: in-progress list, queue key. ARGV: raw, queue name. RPUSHes only when the job
// was still in the list. Returns 1 or 0.
const RedisScript& Requeue();

// Retry. KEYS: in-progress list, retry zset. ARGV: raw, at seconds, updated raw. Schedules the
// retry only when the job was still in the list (else another process recovered it and runs
// it: a second retry chain would duplicate it). Returns 1 or 0.
const RedisScript& Retry();

// Moves one due job. KEYS: source zset, queue key. ARGV: old raw, new raw, queue name.
// Returns 1 when this caller removed it from the zset (and pushed it), else 0.
const RedisScript& EnqueueOne();

// Moves one due job that cannot be enqueued to dead (written there first). KEYS: source zset,
// dead zset. ARGV: raw, now, cutoff, and optionally the text to store (default: raw).
const RedisScript& BuryOne();

}  // namespace fib::queue_scripts
