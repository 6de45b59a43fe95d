#!/usr/bin/env bash
# Load benchmark of `epc serve` on loopback: CONNS keep-alive connections each
# POST REQUESTS batches of 10 valid events (examples/loadgen.rs), every request
# timed. Prints requests/s and p50/p99/max latency, then checks the output
# folder: lines stored == 10 x (requests answered 201), every meta.id unique,
# every event (its unique `action`) stored once, nothing in _invalid.ndjson.
# Goal: >= 5000 requests/s with p99 < 20 ms. With `wrk` installed, a second,
# time-bound run measures the same with wrk (Lua script for the POST body) and
# checks that no event was stored twice.
#
# Usage: scripts/bench-serve.sh
#
# Environment:
#   CONNS        connections (default 16)
#   REQUESTS     requests per connection (default 2000: 32000 requests, 320000 events)
#   WRK_SECONDS  duration of the wrk run (default 10; 0 skips it)
#   TIME_LIMIT   seconds any step may take before it is killed (default 120)
#   EPC_BIN      an epc binary to measure instead of building target/release/epc
#   SERVE_ARGS   extra `epc serve` arguments (for example `-q` or `--fsync`)
#
# Loopback only; everything is written to a temporary directory removed at exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
conns="${CONNS:-16}"
requests="${REQUESTS:-2000}"
wrk_seconds="${WRK_SECONDS:-10}"
limit="${TIME_LIMIT:-120}"
batch=10

cd "$root"
if [[ -n "${EPC_BIN:-}" ]]; then
    cargo build --release --quiet --example loadgen
else
    cargo build --release --quiet --bin epc --example loadgen
fi
target="${CARGO_TARGET_DIR:-$root/target}"
epc="${EPC_BIN:-$target/release/epc}"
loadgen="$target/release/examples/loadgen"

tmp="$(mktemp -d)"
serve_pid=""
cleanup() {
    if [[ -n "$serve_pid" ]]; then kill -KILL "$serve_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# Starts `epc serve` with the fixture repository, stream config and OUT as
# --output-dir; sets serve_pid and url.
start_serve() {
    local out="$1"
    : > "$tmp/serve.err"
    # shellcheck disable=SC2086
    timeout "$limit" "$epc" serve --listen 127.0.0.1:0 --schema-repo fixtures/schemas/primary \
        --stream-config fixtures/streamconfigs-validate.json --output-dir "$out" ${SERVE_ARGS:-} \
        > "$tmp/serve.out" 2> "$tmp/serve.err" &
    serve_pid=$!
    url=""
    for _ in $(seq 200); do
        url="$(sed -n 's|^epc serve: listening on \(http://[^ ]*\)$|\1|p' "$tmp/serve.err" | head -n 1 || true)"
        [[ -n "$url" ]] && break
        sleep 0.05
    done
    [[ -n "$url" ]] || { echo "error: epc serve did not start:" >&2; cat "$tmp/serve.err" >&2; exit 2; }
}

# Stops the server with SIGINT (graceful shutdown) and checks it exits 0.
stop_serve() {
    kill -INT "$serve_pid"
    local status=0
    wait "$serve_pid" || status=$?
    serve_pid=""
    if [[ "$status" -ne 0 ]]; then
        echo "error: epc serve exited with $status after SIGINT" >&2
        tail -n 5 "$tmp/serve.err" >&2
        exit 2
    fi
}

# Prints the value of KEY in a `key=value ...` line.
field() { tr ' ' '\n' <<< "$2" | sed -n "s/^$1=//p"; }

failed=0

# 1. The Rust load generator: a fixed number of requests, exact accounting.
out="$tmp/out"
start_serve "$out"
echo "epc serve at $url; loadgen: $conns connections x $requests requests x $batch events"
result="$(timeout "$limit" "$loadgen" --url "$url" --connections "$conns" --requests "$requests" \
    --batch "$batch" --max-seconds "$limit")"
stop_serve
echo "loadgen: $result"

created="$(field status_201 "$result")"
rps="$(field rps "$result")"
p50="$(field p50_ms "$result")"
p99="$(field p99_ms "$result")"
max="$(field max_ms "$result")"
expected=$((created * batch))
stored_file="$out/test.event.ndjson"
[[ -f "$stored_file" ]] || : > "$stored_file"
lines="$(wc -l < "$stored_file")"
unique_ids="$({ grep -o '"id":"[0-9a-f-]*"' "$stored_file" || true; } | sort -u | wc -l)"
unique_actions="$({ grep -o '"action":"[^"]*"' "$stored_file" || true; } | sort -u | wc -l)"
invalid=0
[[ -f "$out/_invalid.ndjson" ]] && invalid="$(wc -l < "$out/_invalid.ndjson")"
lost=$((expected > lines ? expected - lines : 0))
duplicated=$((lines - unique_actions))
echo "stored: $lines lines for $created requests answered 201 (expected $expected); unique meta.id: $unique_ids; unique events: $unique_actions; _invalid: $invalid"
echo "lost=$lost duplicated=$duplicated"
if [[ "$lines" -ne "$expected" || "$unique_ids" -ne "$lines" || "$unique_actions" -ne "$lines" || "$invalid" -ne 0 ]]; then
    echo "FAIL: the output files do not hold each event answered 201 exactly once" >&2
    failed=1
fi
if [[ "$created" -ne $((conns * requests)) ]]; then
    echo "FAIL: $((conns * requests - created)) requests were not answered 201" >&2
    failed=1
fi
if awk -v r="$rps" -v p="$p99" 'BEGIN { exit !(r >= 5000 && p < 20) }'; then
    echo "PASS: $rps requests/s (>= 5000), p50 $p50 ms, p99 $p99 ms (< 20), max $max ms"
else
    echo "FAIL: $rps requests/s, p99 $p99 ms: the goal is >= 5000 requests/s with p99 < 20 ms" >&2
    failed=1
fi

# 2. wrk, when installed: time-bound, so the requests cut off at its end may be stored unanswered.
if [[ "$wrk_seconds" != 0 ]] && command -v wrk > /dev/null; then
    out="$tmp/out-wrk"
    body='['
    for i in $(seq 0 $((batch - 1))); do
        [[ $i -gt 0 ]] && body+=','
        body+="{\"\$schema\":\"/test/event/1.0.0\",\"meta\":{\"stream\":\"test.event\",\"domain\":\"bench.example.org\"},\"dt\":\"2024-05-01T10:00:00.000Z\",\"action\":\"wrk\",\"count\":$i}"
    done
    body+=']'
    cat > "$tmp/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$body'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) created = 0; other = 0 end
function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do c = c + t:get("created"); o = o + t:get("other") end
  io.write(string.format("wrk_201=%d wrk_other=%d errors=%d\n", c, o,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
EOF
    start_serve "$out"
    echo
    echo "wrk: 2 threads, $conns connections, ${wrk_seconds}s at $url"
    timeout "$limit" wrk -t 2 -c "$conns" -d "${wrk_seconds}s" --latency -s "$tmp/post.lua" "$url" | tee "$tmp/wrk.txt"
    stop_serve
    wrk_created="$(sed -n 's/^wrk_201=\([0-9]*\).*/\1/p' "$tmp/wrk.txt")"
    [[ -f "$out/test.event.ndjson" ]] || : > "$out/test.event.ndjson"
    lines="$(wc -l < "$out/test.event.ndjson")"
    unique_ids="$({ grep -o '"id":"[0-9a-f-]*"' "$out/test.event.ndjson" || true; } | sort -u | wc -l)"
    echo "stored: $lines lines for $wrk_created requests answered 201 (at least $((wrk_created * batch)), at most $(((wrk_created + conns) * batch)) with the cut-off ones); unique meta.id: $unique_ids"
    if [[ "$lines" -lt $((wrk_created * batch)) || "$lines" -gt $(((wrk_created + conns) * batch)) || "$unique_ids" -ne "$lines" ]]; then
        echo "FAIL: wrk run: events lost or stored twice" >&2
        failed=1
    fi
fi
exit "$failed"
