#!/usr/bin/env bash
# Throughput and memory of `epc send`: N NDJSON events of about 1 KB each,
# batched (--batch-size 100), to a loopback intake that answers 201
# (examples/intake_sink.rs). Prints events/s and the maximum RSS, then does the
# same with 2×N events: memory is bounded by the batch, not the input, so the
# RSS must stay about the same. Goal: >= 20000 events/s.
#
# Usage: scripts/bench-send.sh [N]        (default N=200000)
#
# Environment:
#   N           events in the first run (default: the first argument, else 200000)
#   BATCH_SIZE  --batch-size (default 100)
#   TIME_LIMIT  seconds each send may take before it is killed (default 300)
#   EPC_BIN     an epc binary to measure instead of building target/release/epc
#   VALIDATE    1: validate every event before sending (issue 14's goal: >= 100000
#               events/s): real ~1.2 KB analytics events for
#               /analytics/product_metrics/web/base/1.3.0 (scripts/gen-bench-events.py,
#               as bench-validate.sh makes them), checked against the real schema
#               repositories in ../shared/data/schemas (SHARED to change)
#
# Needs /usr/bin/time (GNU time, for -v) and awk. Everything is written to a
# temporary directory that is removed at exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-${N:-200000}}"
batch="${BATCH_SIZE:-100}"
limit="${TIME_LIMIT:-300}"

if [[ ! -x /usr/bin/time ]]; then
    echo "notice: /usr/bin/time (GNU time) is not installed; cannot measure RSS, skipping"
    exit 0
fi

cd "$root"
validate="${VALIDATE:-0}"
shared="${SHARED:-$root/../shared}"
goal=20000
if [[ "$validate" == 1 ]]; then
    goal=100000
    schema_yaml="$shared/data/schemas/secondary/jsonschema/analytics/product_metrics/web/base/1.3.0.yaml"
    [[ -f "$schema_yaml" ]] || { echo "error: $schema_yaml not found (set SHARED)" >&2; exit 2; }
fi
if [[ -n "${EPC_BIN:-}" ]]; then
    cargo build --release --quiet --example intake_sink --example yaml_to_json
else
    cargo build --release --quiet --bin epc --example intake_sink --example yaml_to_json
fi
epc="${EPC_BIN:-$root/target/release/epc}"
sink="$root/target/release/examples/intake_sink"

tmp="$(mktemp -d)"
sink_pid=""
cleanup() {
    if [[ -n "$sink_pid" ]]; then kill "$sink_pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
if [[ "$validate" == 1 ]]; then
    "$root/target/release/examples/yaml_to_json" "$schema_yaml" > "$tmp/schema.json"
fi

# COUNT events of ~1 KB each: an action, a sequence number, a 900-byte padding field.
generate() {
    if [[ "$validate" == 1 ]]; then
        python3 "$root/scripts/gen-bench-events.py" "$tmp/schema.json" "$1" "$tmp/generated.ndjson" > /dev/null
        cat "$tmp/generated.ndjson"
        rm -f "$tmp/generated.ndjson"
        return
    fi
    awk -v n="$1" 'BEGIN {
        pad = sprintf("%900s", ""); gsub(/ /, "x", pad)
        for (i = 1; i <= n; i++)
            printf "{\"action\":\"click\",\"n\":%d,\"element_id\":\"button-%d\",\"pad\":\"%s\"}\n", i, i % 97, pad
    }'
}

# Runs one send of COUNT events; sets rate (events/s), rss_kb and elapsed.
run() {
    local count="$1" events="$tmp/events-$1.ndjson"
    generate "$count" > "$events"
    "$sink" --expect "$count" --timeout 30 > "$tmp/sink.out" &
    sink_pid=$!
    local port=""
    for _ in $(seq 100); do
        port="$(head -n 1 "$tmp/sink.out" 2>/dev/null || true)"
        [[ -n "$port" ]] && break
        sleep 0.05
    done
    [[ -n "$port" ]] || { echo "error: the intake sink did not start" >&2; exit 2; }

    local start end status=0
    start="$(date +%s.%N)"
    local what=(--no-validate --stream test.bench --schema /analytics/bench/1.0.0)
    if [[ "$validate" == 1 ]]; then
        what=(--stream product_metrics.web_base --schema /analytics/product_metrics/web/base/1.3.0
            --schema-repo "$shared/data/schemas/secondary" --schema-repo "$shared/data/schemas/primary")
    fi
    timeout "$limit" /usr/bin/time -v -o "$tmp/time.txt" \
        "$epc" send --no-stream-config "${what[@]}" \
        --intake-url "http://127.0.0.1:$port/v1/events" --batch-size "$batch" -q --format ndjson \
        --failed-out "$tmp/failed.ndjson" "$events" > /dev/null || status=$?
    end="$(date +%s.%N)"
    wait "$sink_pid" || true
    sink_pid=""
    if [[ "$status" -ne 0 ]]; then
        echo "error: epc send exited with $status" >&2
        exit 2
    fi
    local received
    received="$(sed -n 's/^events=\([0-9]*\).*/\1/p' "$tmp/sink.out")"
    if [[ "$received" != "$count" ]]; then
        echo "error: the intake counted ${received:-0} events, expected $count" >&2
        exit 2
    fi
    elapsed="$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')"
    rate="$(awk -v n="$count" -v t="$elapsed" 'BEGIN { printf "%.0f", n / t }')"
    rss_kb="$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$tmp/time.txt")"
    local mb
    mb="$(du -m "$events" | cut -f1)"
    printf '%8d events (%4d MB input): %6.2f s, %7d events/s, max RSS %6.1f MB, sink: %s\n' \
        "$count" "$mb" "$elapsed" "$rate" "$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')" \
        "$(cat "$tmp/sink.out" | tail -n 1)"
    rm -f "$events"
}

echo "epc send → loopback intake, --batch-size $batch, ~1 KB events ($(nproc) CPUs)$([[ "$validate" == 1 ]] && echo ", every event validated")"
run "$n"
rate1="$rate" rss1="$rss_kb"
run "$((2 * n))"
rate2="$rate" rss2="$rss_kb"

verdict="$(awk -v r="$rate1" -v g="$goal" 'BEGIN { print (r >= g ? "meets" : "BELOW") }')"
growth="$(awk -v a="$rss1" -v b="$rss2" 'BEGIN { printf "%+.1f%%", (b - a) * 100 / a }')"
echo "throughput: $rate1 events/s ($verdict the $goal events/s goal); with 2×N: $rate2 events/s"
echo "memory: max RSS $rss1 KB for N, $rss2 KB for 2×N ($growth): bounded by the batch, not the input"
