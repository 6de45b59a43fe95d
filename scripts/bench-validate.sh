#!/usr/bin/env bash
# Benchmarks `epc validate` on one core against a Node.js validator using ajv
# and against serde_json parsing alone, on the same NDJSON file, and prints
# events/s and the ratios epc/ajv and epc/parse-only with the goals:
# >= 100k events/s (issue 3), >= 4x ajv and >= 2x parse-only (issue 14).
#
# Usage: scripts/bench-validate.sh [N]
#
# Environment:
#   N        events to generate (default: the first argument, else 200000)
#   SCHEMA   schema title in the secondary repository
#            (default: analytics/product_metrics/web/base; its latest version)
#   SHARED   the shared folder (default: ../shared beside the repository)
#   RUNS     rounds (one run of each command, in turn); the best is reported (default: 3)
#   TIMEOUT  seconds allowed for each run, and for npm install (default: 300)
#   BUILD_TIMEOUT  seconds allowed for the release build (default: 1200)
#   NO_NODE  set to 1 to skip the ajv comparison
#   KEEP     set to 1 to keep the generated files (their folder is printed)
#
# What runs, each on the same generated file of ~1.2 KB valid events:
#   epc       target/release/epc validate --jobs 1 -q --format ndjson
#             --schema-repo SECONDARY --schema-repo PRIMARY FILE > /dev/null
#   ajv       node scripts/bench-validate-ajv.js: ajv 8 + ajv-formats 2, the
#             schema compiled once, the file read line by line, JSON.parse and
#             validate each (npm packages installed in target/bench-node)
#   parse     target/release/examples/parse_only FILE: serde_json::from_str
#             into a Value, per line, nothing else
# The events come from scripts/gen-bench-events.py (python3, standard library
# only), filled from the schema's `examples` with plausible values; the
# schema is turned into JSON for it and for Node by examples/yaml_to_json.rs.
#
# Events/s are from wall time (the whole process: start, schema load and
# compile, reading, output). CPU time (user + sys) is shown too: on a busy
# machine it is the steadier figure (Node's CPU time includes its GC threads).
# Exits 0 with a notice when the schema repositories or python3 are missing;
# without node or npm only the ajv figures are skipped.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${N:-${1:-200000}}"
title="${SCHEMA:-analytics/product_metrics/web/base}"
shared="${SHARED:-$root/../shared}"
runs="${RUNS:-3}"
limit="${TIMEOUT:-300}"
build_limit="${BUILD_TIMEOUT:-1200}"
[[ -d "$shared" ]] && shared="$(cd "$shared" && pwd)"
secondary="$shared/data/schemas/secondary"
primary="$shared/data/schemas/primary"

if [[ ! -d "$secondary/jsonschema" || ! -d "$primary/jsonschema" ]]; then
    echo "notice: schema repositories not found under $shared/data/schemas (set SHARED); skipping"
    exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "notice: python3 is not installed (it generates the events); skipping"
    exit 0
fi
dir="$secondary/jsonschema/$title"
if [[ ! -d "$dir" ]]; then
    echo "error: no schema $title in $secondary" >&2
    exit 2
fi
# The latest version: `latest.yaml` is a symlink, or (in copies that lost
# their symlinks) a file holding the target's name; else the highest version.
schema_file=""
if [[ -L "$dir/latest.yaml" ]]; then
    schema_file="$dir/latest.yaml"
elif [[ -f "$dir/latest.yaml" && $(wc -c <"$dir/latest.yaml") -lt 64 ]]; then
    target="$(tr -d '[:space:]' <"$dir/latest.yaml")"
    [[ -f "$dir/$target" ]] && schema_file="$dir/$target"
fi
if [[ -z "$schema_file" ]]; then
    latest="$(ls "$dir" | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.yaml$' | sort -V | tail -n 1)"
    schema_file="$dir/$latest"
fi

cd "$root"
echo "building (release)..."
if ! timeout "$build_limit" cargo build --release --quiet --bin epc --example parse_only --example yaml_to_json; then
    echo "error: the release build failed or took over $build_limit s (BUILD_TIMEOUT)" >&2
    exit 1
fi
epc="$root/target/release/epc"
parse_only="$root/target/release/examples/parse_only"

tmp="$(mktemp -d)"
if [[ "${KEEP:-0}" == 1 ]]; then
    echo "keeping the generated files in $tmp"
else
    trap 'rm -rf "$tmp"' EXIT
fi

"$root/target/release/examples/yaml_to_json" "$schema_file" >"$tmp/schema.json"
schema_id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("$id", "?"))' "$tmp/schema.json")"
if grep -q '"\$ref"' "$tmp/schema.json"; then
    echo "notice: $schema_file has \$ref (not materialized): the ajv script loads no other schema; skipping ajv"
    NO_NODE=1
fi
echo "generating $n events for $schema_id..."
timeout "$limit" python3 "$root/scripts/gen-bench-events.py" "$tmp/schema.json" "$n" "$tmp/events.ndjson"
bytes="$(wc -c <"$tmp/events.ndjson")"

# Node and ajv, installed once in target/bench-node (git-ignored with target/).
ajv_ok=0
if [[ "${NO_NODE:-0}" == 1 ]]; then
    :
elif ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "notice: node or npm is not installed; skipping the ajv comparison"
else
    node_dir="$root/target/bench-node"
    if [[ ! -d "$node_dir/node_modules/ajv" || ! -d "$node_dir/node_modules/ajv-formats" ]]; then
        mkdir -p "$node_dir"
        [[ -f "$node_dir/package.json" ]] || echo '{"private": true}' >"$node_dir/package.json"
        echo "installing ajv@8 ajv-formats@2 in $node_dir..."
        if ! (cd "$node_dir" && timeout "$limit" npm install --no-audit --no-fund --silent ajv@8 ajv-formats@2 >/dev/null 2>&1); then
            echo "notice: npm install ajv@8 ajv-formats@2 failed; skipping the ajv comparison"
        fi
    fi
    [[ -d "$node_dir/node_modules/ajv-formats" ]] && ajv_ok=1
fi

# Times one run of a command (stdout to $tmp/out.NAME, stderr to
# $tmp/err.NAME) and keeps NAME's lowest wall time and lowest CPU time (user +
# sys) over the runs in best_wall[NAME] and best_cpu[NAME].
declare -A best_wall best_cpu
run_once() {
    local name="$1" wall user sys cpu TIMEFORMAT="%3R %3U %3S"
    shift
    { time timeout "$limit" "$@" >"$tmp/out.$name" 2>"$tmp/err.$name"; } 2>"$tmp/time" || {
        echo "error: $name failed (exit $?): $*" >&2
        cat "$tmp/err.$name" >&2
        exit 1
    }
    read -r wall user sys <"$tmp/time"
    cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')"
    if [[ -z "${best_wall[$name]:-}" ]] || awk -v a="$wall" -v b="${best_wall[$name]}" 'BEGIN { exit !(a < b) }'; then
        best_wall[$name]="$wall"
    fi
    if [[ -z "${best_cpu[$name]:-}" ]] || awk -v a="$cpu" -v b="${best_cpu[$name]}" 'BEGIN { exit !(a < b) }'; then
        best_cpu[$name]="$cpu"
    fi
}

rate() { awk -v n="$n" -v t="$1" 'BEGIN { printf "%.0f", n / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v g="$2" 'BEGIN { print (v >= g ? "met" : "MISSED") }'; }

# Rounds of one run each, in turn, so that a busy spell of the machine falls
# on all three alike; the best of the rounds is reported.
echo "running $runs rounds of epc, parse-only$([[ "$ajv_ok" == 1 ]] && echo ", ajv")..."
for ((round = 0; round < runs; round++)); do
    run_once epc "$epc" validate --jobs 1 -q --format ndjson --schema-repo "$secondary" --schema-repo "$primary" \
        "$tmp/events.ndjson"
    run_once parse "$parse_only" "$tmp/events.ndjson"
    if [[ "$ajv_ok" == 1 ]]; then
        run_once ajv env NODE_PATH="$root/target/bench-node/node_modules" node "$root/scripts/bench-validate-ajv.js" \
            "$tmp/schema.json" "$tmp/events.ndjson"
    fi
done
parsed="$(cat "$tmp/out.parse")"
if [[ "$parsed" != "$n" ]]; then
    echo "error: parse_only counted $parsed events, not $n" >&2
    exit 1
fi
epc_wall="${best_wall[epc]}" epc_cpu="${best_cpu[epc]}"
parse_wall="${best_wall[parse]}" parse_cpu="${best_cpu[parse]}"
if [[ "$ajv_ok" == 1 ]]; then
    read -r ajv_events ajv_valid _ <"$tmp/out.ajv"
    if [[ "$ajv_events" != "$n" || "$ajv_valid" != "$n" ]]; then
        echo "error: ajv found $ajv_valid valid events of $ajv_events, expected all $n valid" >&2
        exit 1
    fi
    ajv_wall="${best_wall[ajv]}" ajv_cpu="${best_cpu[ajv]}"
fi

epc_rate="$(rate "$epc_wall")"
parse_rate="$(rate "$parse_wall")"
echo
echo "== epc validate benchmark =="
echo "file:    $n events, $((bytes / n)) bytes/event on average, $((bytes / 1048576)) MiB, all valid"
echo "schema:  $schema_id ($schema_file)"
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')), load $(cut -d' ' -f1-3 /proc/loadavg); best of $runs rounds"
echo "command: epc validate --jobs 1 -q --format ndjson --schema-repo SECONDARY --schema-repo PRIMARY FILE > /dev/null"
printf '%-26s %8s %12s %8s %12s\n' "" "wall s" "events/s" "cpu s" "events/s cpu"
printf '%-26s %8s %12s %8s %12s\n' "epc validate (--jobs 1)" "$epc_wall" "$epc_rate" "$epc_cpu" "$(rate "$epc_cpu")"
if [[ "$ajv_ok" == 1 ]]; then
    printf '%-26s %8s %12s %8s %12s\n' "node + ajv ($(node --version))" "$ajv_wall" "$(rate "$ajv_wall")" "$ajv_cpu" "$(rate "$ajv_cpu")"
fi
printf '%-26s %8s %12s %8s %12s\n' "serde_json parse only" "$parse_wall" "$parse_rate" "$parse_cpu" "$(rate "$parse_cpu")"
echo "goals (wall time; cpu time in brackets):"
echo "  epc >= 100000 events/s:   $epc_rate events/s, $(verdict "$epc_rate" 100000) [$(rate "$epc_cpu"), $(verdict "$(rate "$epc_cpu")" 100000)]"
if [[ "$ajv_ok" == 1 ]]; then
    r="$(ratio "$ajv_wall" "$epc_wall")"
    rc="$(ratio "$ajv_cpu" "$epc_cpu")"
    echo "  epc/ajv >= 4.00:          $r, $(verdict "$r" 4) [$rc, $(verdict "$rc" 4)]"
else
    echo "  epc/ajv >= 4.00:          skipped (no node, npm or ajv)"
fi
r="$(ratio "$parse_wall" "$epc_wall")"
rc="$(ratio "$parse_cpu" "$epc_cpu")"
echo "  epc/parse-only >= 2.00:   $r, $(verdict "$r" 2) [$rc, $(verdict "$rc" 2)]"
