#!/usr/bin/env bash
# Times one `epc sample` decision against jq doing the same lookup and
# comparison on the same stream config file, and prints the ratio epc/jq.
#
# Usage: scripts/bench-sample-vs-jq.sh [STREAM_CONFIG_FILE]
#
# Environment:
#   STREAM_CONFIG  the stream config file (default: the first argument, else
#                  ../shared/data/streamconfigs/production-default.json relative
#                  to the repository root)
#   STREAM         the stream to decide (default: mediawiki.web_ui_actions)
#   ID             the identifier (default: 0aac0b2976c12a600a58)
#   N              runs per command (default: 200)
#   NO_HYPERFINE   set to 1 to use the bash loop even if hyperfine is installed
#
# Uses hyperfine when it is installed, otherwise times N runs of each command
# with `date +%s%N`. Exits 0 with a notice when jq or the data is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="${1:-${STREAM_CONFIG:-$root/../shared/data/streamconfigs/production-default.json}}"
stream="${STREAM:-mediawiki.web_ui_actions}"
id="${ID:-0aac0b2976c12a600a58}"
n="${N:-200}"

if ! command -v jq >/dev/null 2>&1; then
    echo "notice: jq is not installed; nothing to compare epc with, skipping"
    exit 0
fi
if [[ ! -f "$config" ]]; then
    echo "notice: stream config $config not found (pass a file or set STREAM_CONFIG); skipping"
    exit 0
fi

cd "$root"
cargo build --release --quiet
epc="$root/target/release/epc"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# epc's canonical rule (decisions.md) in jq: a stream that is not configured is
# out; no `sample` block is in; rate >= 1 is in; otherwise in iff
# (first 8 hex characters) / 4294967295 < rate.
cat >"$tmp/sample.jq" <<'JQ'
.streams[$s] as $stream
| ($id[0:8] | ascii_downcase | explode
   | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end))) as $prefix
| ($prefix / 4294967295) as $value
| if $stream == null then false
  elif $stream.sample == null then true
  else $stream.sample.rate as $rate | ($rate >= 1 or $value < $rate)
  end
| {stream: $s, identifier: $id, value: $value, in_sample: .}
JQ

epc_cmd=("$epc" sample --stream-config "$config" --stream "$stream" --id "$id" --format json)
jq_cmd=(jq --arg s "$stream" --arg id "$id" -f "$tmp/sample.jq" "$config")

# Check once that both decide the same, and show the decision.
epc_decision="$("${epc_cmd[@]}" 2>/dev/null | jq -c '.results[0] | {stream, identifier, value, in_sample}')"
jq_decision="$("${jq_cmd[@]}" | jq -c .)"
echo "epc: $epc_decision"
echo "jq:  $jq_decision"
if [[ "$(jq -r .in_sample <<<"$epc_decision")" != "$(jq -r .in_sample <<<"$jq_decision")" ]]; then
    echo "error: epc and jq disagree on the decision" >&2
    exit 1
fi

# Prints the mean wall time of one run of the command, in milliseconds.
mean_ms_loop() {
    local total=0 start end i
    for ((i = 0; i < 5; i++)); do "$@" >/dev/null 2>&1; done # warm-up
    for ((i = 0; i < n; i++)); do
        start=$(date +%s%N)
        "$@" >/dev/null 2>&1
        end=$(date +%s%N)
        total=$((total + end - start))
    done
    awk -v t="$total" -v n="$n" 'BEGIN { printf "%.3f", t / n / 1e6 }'
}

if [[ "${NO_HYPERFINE:-0}" != 1 ]] && command -v hyperfine >/dev/null 2>&1; then
    method="hyperfine, $n runs each"
    quote() { printf '%q ' "$@"; }
    hyperfine --shell=none --warmup 10 --runs "$n" --style none --export-json "$tmp/h.json" \
        -n epc "$(quote "${epc_cmd[@]}")" -n jq "$(quote "${jq_cmd[@]}")" >/dev/null 2>"$tmp/h.err" ||
        { cat "$tmp/h.err" >&2; exit 1; }
    # hyperfine's warnings (outliers and the like), before the summary.
    sed -e '/^[[:space:]]*$/d' -e 's/^[[:space:]]*/hyperfine: /' "$tmp/h.err" >&2
    epc_ms="$(jq -r '.results[] | select(.command == "epc") | .mean * 1000 | tostring' "$tmp/h.json")"
    jq_ms="$(jq -r '.results[] | select(.command == "jq") | .mean * 1000 | tostring' "$tmp/h.json")"
else
    method="bash loop with date +%s%N, $n runs each"
    epc_ms="$(mean_ms_loop "${epc_cmd[@]}")"
    jq_ms="$(mean_ms_loop "${jq_cmd[@]}")"
fi

echo "timing: $method; $(nproc) CPUs; stream config $config"
awk -v e="$epc_ms" -v j="$jq_ms" 'BEGIN {
    printf "epc mean = %.3f ms per run\n", e
    printf "jq  mean = %.3f ms per run\n", j
    printf "ratio epc/jq = %.2f (goal <= 1.0)\n", e / j
}'
