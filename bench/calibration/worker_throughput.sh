#!/usr/bin/env bash
# Worker throughput: fibtastic-worker (reliable fetch) vs Ruby Sidekiq 6.4 (basic fetch), each
# draining the same N pre-filled NoopWorker jobs from a private redis-server with -c CONCURRENCY.
# Prints jobs/s, drain time and peak RSS of each, and the ratio, with the run's conditions.
#
# Usage: bench/calibration/worker_throughput.sh [N]           (default 20000)
# Environment: CONCURRENCY (default 10), BIN_DIR (default <repo>/build/bin), SIDEKIQ (sidekiq
#              binary, default: sidekiq in PATH), WORKER_FLAGS (extra fibtastic-worker flags),
#              RUNS (default 1: best of RUNS drains per side).
# Drain time runs from the first job taken to the queue being empty (and, for ours, every job
# acked), so start-up (Ruby's boot, our heartbeat) is not counted for either side. Both log
# every job, as Sidekiq does by default.
set -euo pipefail

N=${1:-20000}
CONCURRENCY=${CONCURRENCY:-10}
RUNS=${RUNS:-1}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN_DIR=${BIN_DIR:-$ROOT/build/bin}
SIDEKIQ=${SIDEKIQ:-$(command -v sidekiq || echo /usr/bin/sidekiq)}
WORKER_FLAGS=${WORKER_FLAGS:-}
WORKER=$BIN_DIR/fibtastic-worker

die() { echo "worker_throughput: $*" >&2; exit 1; }
[[ -x $WORKER ]] || die "no $WORKER; build it (cmake --build build --target fibtastic-worker) or set BIN_DIR"
[[ -x $SIDEKIQ ]] || die "no sidekiq binary; apt-get install ruby-sidekiq or set SIDEKIQ"
command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"

TMP=$(mktemp -d /tmp/fibtastic-worker-bench-XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { ruby -rsocket -e 's = TCPServer.new("127.0.0.1", 0); puts s.addr[1]; s.close'; }
PORT=$(free_port)
REDIS_URL=redis://127.0.0.1:$PORT/0
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$TMP" \
  --daemonize no >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
cli() { redis-cli -p "$PORT" "$@"; }

# Times one drain over one Redis connection (a redis-cli per poll costs milliseconds, too coarse
# for drains well under a second). It connects before the worker starts, polls every 2 ms, or
# every 0.2% of the time so far once that is longer (so polling costs a long drain no more CPU
# than a short one), and prints seconds from the first job taken until the queue is empty and
# no in-progress list (ours) is left: jobs popped last may still be running, and ours count as
# done once acked.
DRAIN_TIMER='
require "redis"
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)
n = Integer(ARGV[0])
redis = Redis.new(url: ENV.fetch("REDIS_URL"))
redis.ping
File.write(ARGV[1], "")
now = -> { Process.clock_gettime(Process::CLOCK_MONOTONIC) }
start = nil
pause = -> { sleep(start ? [0.002, (now.call - start) / 500].max : 0.002) }
loop do
  left = redis.llen("queue:default")
  start ||= now.call if left < n
  break if left.zero?
  pause.call
end
pause.call until redis.keys("fibtastic:inprogress:*").empty?
printf("%.4f\n", now.call - start)
'
peak_rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# drain <log> cmd...: runs the worker until it drains N jobs; prints "<seconds> <peak rss KB>".
drain() {
  local log=$1
  shift
  cli FLUSHALL >/dev/null
  REDIS_URL=$REDIS_URL ruby "$ROOT/bench/calibration/noop_fill.rb" "$N" >/dev/null
  [[ $(cli LLEN queue:default) == "$N" ]] || die "pre-fill failed"
  rm -f "$TMP/timer.ready" "$TMP/timer.out"
  REDIS_URL=$REDIS_URL ruby -e "$DRAIN_TIMER" "$N" "$TMP/timer.ready" >"$TMP/timer.out" &
  local timer=$!
  PIDS+=("$timer")
  while [[ ! -e $TMP/timer.ready ]]; do sleep 0.01; done  # Ruby boots before the worker starts
  REDIS_URL=$REDIS_URL REDIS_PROVIDER= "$@" >"$log" 2>&1 &
  local pid=$! seconds
  PIDS+=("$pid")
  while kill -0 "$timer" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { kill "$timer"; tail -20 "$log" >&2; die "worker exited early"; }
    sleep 0.05
  done
  wait "$timer" || die "the drain timer failed"
  seconds=$(cat "$TMP/timer.out")
  local rss
  rss=$(peak_rss_kb "$pid")
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  echo "$seconds $rss"
}

best_of() {  # best_of <runs> <log> cmd... : prints the fastest "<seconds> <rss>"
  local runs=$1 log=$2 best="" result
  shift 2
  for _ in $(seq "$runs"); do
    result=$(drain "$log" "$@")
    if [[ -z $best ]] || (($(echo "${result%% *} < ${best%% *}" | bc -l))); then best=$result; fi
  done
  echo "$best"
}

echo "# worker throughput: $N NoopWorker jobs, -c $CONCURRENCY, private redis-server $(redis-server --version | grep -o 'v=[0-9.]*')"
echo "# machine: $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# sidekiq: $SIDEKIQ $(ruby -r sidekiq -e 'print Sidekiq::VERSION' 2>/dev/null) on $(ruby -e 'print RUBY_DESCRIPTION')"

read -r ours_s ours_rss < <(best_of "$RUNS" "$TMP/ours.log" "$WORKER" -c "$CONCURRENCY" --redis-url "$REDIS_URL" \
  --smtp-url smtp://127.0.0.1:9 $WORKER_FLAGS)
read -r ruby_s ruby_rss < <(best_of "$RUNS" "$TMP/sidekiq.log" "$SIDEKIQ" -r "$ROOT/bench/calibration/noop_worker.rb" -c "$CONCURRENCY")

build_type=$(grep -m1 -o -E '\([A-Za-z]+ build\)' "$TMP/ours.log" | tr -d '()' || true)
echo "# ours: $WORKER ($build_type), reliable fetch on, flags: -c $CONCURRENCY $WORKER_FLAGS"
if [[ $build_type == "Debug build" ]]; then echo "WARNING: debug build; figures are not representative"; fi
rate() { echo "$N / $1" | bc -l | xargs printf '%.0f'; }
printf '%-18s %10s %12s %14s\n' worker "drain s" "jobs/s" "peak RSS MB"
printf '%-18s %10.2f %12s %14.1f\n' fibtastic-worker "$ours_s" "$(rate "$ours_s")" "$(echo "$ours_rss / 1024" | bc -l)"
printf '%-18s %10.2f %12s %14.1f\n' "sidekiq 6.4" "$ruby_s" "$(rate "$ruby_s")" "$(echo "$ruby_rss / 1024" | bc -l)"
printf 'throughput ratio (ours / sidekiq): %.1fx\n' "$(echo "$ruby_s / $ours_s" | bc -l)"
