#!/usr/bin/env bash
# Benchmarks `epc validate --repo` against jsonschema-tools 1.3.0's repository
# tests (what the schema repositories' CI runs) on the secondary repository,
# with the primary repository local, and prints both tools' CPU time
# (user + sys) and the ratio, with the goal (issue 12): epc >= 20x less CPU.
#
# Usage: scripts/bench-repo.sh [RUNS]
#
# Environment:
#   RUNS     rounds (one run of each tool, in turn); the best of each is
#            reported, and every round is printed (default: the first argument, else 3)
#   SHARED   the shared folder (default: ../shared beside the repository)
#   TIMEOUT  seconds allowed for each run, and for npm install (default: 600)
#   BUILD_TIMEOUT  seconds allowed for the release build (default: 1200)
#   EPC      an epc binary to time instead of building target/release/epc
#   NO_NODE  set to 1 to time epc only
#   KEEP     set to 1 to keep the last run's outputs (their folder is printed)
#
# What runs, on `schemas-symlinked.tar.gz` unpacked into target/bench-repo/
# (both repositories with real symlinks, as a git checkout has them; unpacked
# afresh on every run of the script):
#   epc   target/release/epc validate --repo SECONDARY --schema-repo PRIMARY
#         --format json > out   (epc's default, strict mode)
#   jst   mocha (10) on one file, `require('@wikimedia/jsonschema-tools')
#         .tests.all({logLevel: 'warn'})`, run in a copy of SECONDARY whose
#         `.jsonschema-tools.yaml` has its https primary entry of
#         `schemaBaseUris` replaced by PRIMARY/jsonschema/ (jsonschema-tools
#         1.3.0 prefixes a `$ref` with each base in turn and takes a base
#         without a protocol as a file path), so that nothing is fetched. The
#         npm packages are installed once into target/bench-repo-npm.
# Both must check the whole repository: epc exits 0 or 1 (findings), and mocha reports 0 failing tests
# (schema-repos.md §4.3 measured 7254 passing + 294 pending there).
#
# CPU time is user + sys of the process and all its children and threads
# (bash `time`), which is what a CI runner pays; wall time is shown too.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-${1:-3}}"
shared="${SHARED:-$root/../shared}"
limit="${TIMEOUT:-600}"
build_limit="${BUILD_TIMEOUT:-1200}"
[[ -d "$shared" ]] && shared="$(cd "$shared" && pwd)"
archive="$shared/data/schemas-symlinked.tar.gz"
if [[ ! -f "$archive" ]]; then
    echo "error: $archive not found (set SHARED)" >&2
    exit 2
fi

cd "$root"
if [[ -n "${EPC:-}" ]]; then
    epc="$EPC"
else
    echo "building (release)..."
    if ! timeout "$build_limit" cargo build --release --locked --quiet --bin epc; then
        echo "error: the release build failed or took over $build_limit s (BUILD_TIMEOUT)" >&2
        exit 1
    fi
    epc="$root/target/release/epc"
fi

work="$root/target/bench-repo"
rm -rf "$work"
mkdir -p "$work"
tar -xzf "$archive" -C "$work"
primary="$work/schemas/primary"
secondary="$work/schemas/secondary"
if [[ ! -L "$primary/jsonschema/test/event/latest" ]]; then
    echo "error: $archive did not unpack to real symlinks" >&2
    exit 1
fi

# The copy of secondary that jsonschema-tools runs in, its primary base local.
local_copy="$work/secondary-local"
cp -a "$secondary" "$local_copy"
remote_base="https://schema.wikimedia.org/repositories/primary/jsonschema/"
if ! grep -qF -- "- $remote_base" "$local_copy/.jsonschema-tools.yaml"; then
    echo "error: $secondary/.jsonschema-tools.yaml has no schemaBaseUris entry $remote_base" >&2
    exit 1
fi
sed -i "s#- $remote_base\$#- $primary/jsonschema/#" "$local_copy/.jsonschema-tools.yaml"
mkdir -p "$local_copy/test"
cat >"$local_copy/test/repository.test.js" <<'EOF'
'use strict';
require('@wikimedia/jsonschema-tools').tests.all({ logLevel: 'warn' });
EOF

node_ok=0
npm_dir="$root/target/bench-repo-npm"
if [[ "${NO_NODE:-0}" == 1 ]]; then
    :
elif ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "notice: node or npm is not installed; timing epc only"
else
    if [[ ! -f "$npm_dir/node_modules/@wikimedia/jsonschema-tools/package.json" || ! -f "$npm_dir/node_modules/mocha/bin/mocha.js" ]] \
        || ! grep -q '"version": "1.3.0"' "$npm_dir/node_modules/@wikimedia/jsonschema-tools/package.json"; then
        mkdir -p "$npm_dir"
        [[ -f "$npm_dir/package.json" ]] || echo '{"private": true}' >"$npm_dir/package.json"
        echo "installing @wikimedia/jsonschema-tools@1.3.0 mocha@10 in $npm_dir..."
        if ! (cd "$npm_dir" && timeout "$limit" npm install --no-audit --no-fund --silent \
            @wikimedia/jsonschema-tools@1.3.0 mocha@10 >/dev/null 2>&1); then
            echo "error: npm install @wikimedia/jsonschema-tools@1.3.0 mocha@10 failed (NO_NODE=1 times epc only)" >&2
            exit 1
        fi
    fi
    node_ok=1
fi

out="$(mktemp -d)"
if [[ "${KEEP:-0}" == 1 ]]; then
    echo "keeping the outputs in $out"
else
    trap 'rm -rf "$out"' EXIT
fi

# Times one run of a command (stdout to $out/out.NAME, stderr to
# $out/err.NAME; exit status in $out/code.NAME) and keeps NAME's lowest CPU
# time (user + sys) and its wall time in best_cpu[NAME], best_wall[NAME].
declare -A best_cpu best_wall all_cpu
run_once() {
    local name="$1" dir="$2" wall user sys cpu code TIMEFORMAT="%3R %3U %3S"
    shift 2
    code=0
    { time (cd "$dir" && timeout "$limit" "$@" >"$out/out.$name" 2>"$out/err.$name") || code=$?; } 2>"$out/time"
    echo "$code" >"$out/code.$name"
    read -r wall user sys <"$out/time"
    cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')"
    all_cpu[$name]="${all_cpu[$name]:-}${all_cpu[$name]:+ }$cpu"
    if [[ -z "${best_cpu[$name]:-}" ]] || awk -v a="$cpu" -v b="${best_cpu[$name]}" 'BEGIN { exit !(a < b) }'; then
        best_cpu[$name]="$cpu"
        best_wall[$name]="$wall"
    fi
}

mocha_summary() {
    # "7254 passing (6s)", "294 pending", "3 failing" -> "7254 294 3"
    local text passing pending failing
    text="$(sed 's/\x1b\[[0-9;]*m//g' "$1")"
    passing="$(grep -Eo '^ *[0-9]+ passing' <<<"$text" | grep -Eo '[0-9]+' | tail -n 1 || true)"
    pending="$(grep -Eo '^ *[0-9]+ pending' <<<"$text" | grep -Eo '[0-9]+' | tail -n 1 || true)"
    failing="$(grep -Eo '^ *[0-9]+ failing' <<<"$text" | grep -Eo '[0-9]+' | tail -n 1 || true)"
    echo "${passing:-?} ${pending:-0} ${failing:-0}"
}

echo "running $runs rounds of epc$([[ "$node_ok" == 1 ]] && echo " and jsonschema-tools")..."
for ((round = 0; round < runs; round++)); do
    run_once epc "$root" "$epc" validate --repo "$secondary" --schema-repo "$primary" --format json
    # 0 clean, 1 findings (default mode finds real misspelled keywords in 47 secondary files, R9): the
    # whole repository was checked either way; 2 means it could not run.
    if [[ "$(cat "$out/code.epc")" != 0 && "$(cat "$out/code.epc")" != 1 ]]; then
        echo "error: epc validate --repo exited $(cat "$out/code.epc") (it must check the repository):" >&2
        head -c 2000 "$out/err.epc" >&2
        exit 1
    fi
    if [[ "$node_ok" == 1 ]]; then
        run_once jst "$local_copy" env NODE_PATH="$npm_dir/node_modules" \
            node "$npm_dir/node_modules/mocha/bin/mocha.js" --reporter dot --no-colors test/repository.test.js
        read -r passing pending failing <<<"$(mocha_summary "$out/out.jst")"
        if [[ "$(cat "$out/code.jst")" != 0 || "$failing" != 0 || "$passing" == "?" ]]; then
            echo "error: jsonschema-tools' tests did not pass (exit $(cat "$out/code.jst"), $passing passing, $failing failing):" >&2
            tail -n 40 "$out/out.jst" >&2
            head -c 2000 "$out/err.jst" >&2
            exit 1
        fi
    fi
done

summary="$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s.get("pass"), s.get("fail"), s.get("skip"))' "$out/out.epc" 2>/dev/null || echo "? ? ?")"
read -r epc_pass epc_fail epc_skip <<<"$summary"

echo
echo "== epc validate --repo benchmark (secondary, primary local) =="
echo "data:    $archive (real symlinks), unpacked in $work"
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')), load $(cut -d' ' -f1-3 /proc/loadavg); best of $runs rounds"
echo "epc:     epc validate --repo $secondary --schema-repo $primary --format json"
echo "         exit $(cat "$out/code.epc"); $epc_pass cases passed, $epc_fail failed, $epc_skip skipped"
if [[ "$node_ok" == 1 ]]; then
    echo "jst:     (cd $local_copy && NODE_PATH=$npm_dir/node_modules node mocha.js test/repository.test.js)"
    echo "         jsonschema-tools $(node -p "require('$npm_dir/node_modules/@wikimedia/jsonschema-tools/package.json').version"), mocha $(node -p "require('$npm_dir/node_modules/mocha/package.json').version"), node $(node --version): $passing passing, $pending pending, $failing failing"
fi
printf '%-22s %8s %8s   %s\n' "" "cpu s" "wall s" "cpu s of each round"
printf '%-22s %8s %8s   %s\n' "epc" "${best_cpu[epc]}" "${best_wall[epc]}" "${all_cpu[epc]}"
if [[ "$node_ok" == 1 ]]; then
    printf '%-22s %8s %8s   %s\n' "jsonschema-tools" "${best_cpu[jst]}" "${best_wall[jst]}" "${all_cpu[jst]}"
    ratio="$(awk -v a="${best_cpu[jst]}" -v b="${best_cpu[epc]}" 'BEGIN { printf "%.1f", a / b }')"
    verdict="$(awk -v r="$ratio" 'BEGIN { print (r >= 20 ? "met" : "MISSED") }')"
    echo "ratio (cpu, jsonschema-tools / epc): ${ratio}x; goal >= 20x: $verdict"
fi
