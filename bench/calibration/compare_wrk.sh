#!/usr/bin/env bash
# Measures fibtastic-loadgen against wrk (Debian package) on the same machine, in the same run,
# against the same fibtastic-trivial-server:
#   1. maximum request rate, closed loop, same threads and connections (goal: ours >= 0.9x wrk);
#   2. latency percentiles, closed loop at the same -c (goal: within 10% of wrk);
#   3. peak RSS of fibtastic-loadgen for a 1M-request run (/usr/bin/time -v).
# Both generators share the 2 cores with the server, so absolute figures depend on the machine;
# the ratios are the point. Runs alternate (wrk, ours, wrk, ours, ...) to spread out noise.
#
# Usage: bench/calibration/compare_wrk.sh [BIN_DIR]   (default: build/bin)
# Env:   THREADS=2 CONNECTIONS=64 DURATION_S=10 LATENCY_CONNECTIONS=8 ROUNDS=3 REQUESTS=1000000
#        DURATION_S is seconds, or takes a unit both generators read: 30s, 2m, 1h.
set -euo pipefail

BIN_DIR=${1:-build/bin}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION_S=${DURATION_S:-10}
if ! [[ $DURATION_S =~ ^[0-9]+[smh]?$ ]]; then
  echo "compare_wrk: DURATION_S takes whole seconds, or a whole number with a unit s, m or h (e.g. 10, 30s, 2m), got '$DURATION_S'" >&2
  exit 2
fi
LATENCY_CONNECTIONS=${LATENCY_CONNECTIONS:-8}
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-1000000}
LOADGEN="$BIN_DIR/fibtastic-loadgen"
SERVER="$BIN_DIR/fibtastic-trivial-server"

for tool in "$LOADGEN" "$SERVER"; do
  [[ -x $tool ]] || { echo "compare_wrk.sh: $tool not built (make, or pass BIN_DIR)" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "compare_wrk.sh: wrk not installed (apt-get install wrk)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "compare_wrk.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/compare-wrk-XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT/"
"$SERVER" --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null; wait $SERVER_PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

# wrk prints "Requests/sec:  12345.67" and, with --latency, "     99%    1.23ms".
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
wrk_ms() {  # file percentile -> ms
  awk -v p="$2%" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
    print v }' "$1"
}
ours_json() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "== conditions"
echo "  $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  $(wrk --version 2>&1 | head -1)"
"$LOADGEN" --url "$URL" -d 0.2 -c 1 -t 1 | grep -E 'build|WARNING' | sed 's/^ */  /'

echo "== 1. maximum rate, closed loop, -t$THREADS -c$CONNECTIONS, -d $DURATION_S, $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION_S" "$URL" >"$WORK/wrk-rate-$round.txt"
  "$LOADGEN" --url "$URL" -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION_S" --rate 0 \
    --json "$WORK/ours-rate-$round.json" >/dev/null
  printf '  round %d: wrk %10.0f req/s   ours %10.0f req/s\n' "$round" \
    "$(wrk_rps "$WORK/wrk-rate-$round.txt")" \
    "$(ours_json "$WORK/ours-rate-$round.json" "r['summary']['rps']")"
done
WRK_RPS=$(for f in "$WORK"/wrk-rate-*.txt; do wrk_rps "$f"; done | median)
OURS_RPS=$(for f in "$WORK"/ours-rate-*.json; do ours_json "$f" "r['summary']['rps']"; done | median)
printf '  median: wrk %.0f req/s, ours %.0f req/s, ratio ours/wrk %.2f (goal >= 0.90)\n' \
  "$WRK_RPS" "$OURS_RPS" "$(echo "$OURS_RPS / $WRK_RPS" | bc -l)"

echo "== 2. latency, closed loop, -t$THREADS -c$LATENCY_CONNECTIONS, -d $DURATION_S"
for round in $(seq "$ROUNDS"); do
  wrk -t"$THREADS" -c"$LATENCY_CONNECTIONS" -d"$DURATION_S" --latency "$URL" >"$WORK/wrk-lat-$round.txt"
  "$LOADGEN" --url "$URL" -t "$THREADS" -c "$LATENCY_CONNECTIONS" -d "$DURATION_S" --rate 0 \
    --json "$WORK/ours-lat-$round.json" >/dev/null
done
printf '  %-6s %12s %12s %8s\n' pct "wrk ms" "ours ms" ratio
for p in 50 75 90 99; do
  w=$(for f in "$WORK"/wrk-lat-*.txt; do wrk_ms "$f" "$p"; done | median)
  o=$(for f in "$WORK"/ours-lat-*.json; do ours_json "$f" "r['summary']['latency_ms']['p$p']"; done | median)
  printf '  p%-5s %12.3f %12.3f %8.2f\n' "$p" "$w" "$o" "$(echo "$o / $w" | bc -l)"
done
w=$(for f in "$WORK"/wrk-lat-*.txt; do wrk_rps "$f"; done | median)
o=$(for f in "$WORK"/ours-lat-*.json; do ours_json "$f" "r['summary']['rps']"; done | median)
printf '  rate   %12.0f %12.0f %8.2f  (req/s; at equal concurrency latency follows rate)\n' \
  "$w" "$o" "$(echo "$o / $w" | bc -l)"

echo "== 3. peak RSS of fibtastic-loadgen, $REQUESTS requests, -t$THREADS -c$CONNECTIONS"
for n in $((REQUESTS / 10)) "$REQUESTS"; do
  /usr/bin/time -v "$LOADGEN" --url "$URL" -t "$THREADS" -c "$CONNECTIONS" --requests "$n" \
    --rate 0 >"$WORK/rss.out" 2>"$WORK/rss.err"
  printf '  %8d requests: peak RSS %6d KB, %s\n' "$n" \
    "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/rss.err")" \
    "$(grep -E '^Requests/sec' "$WORK/rss.out")"
done
