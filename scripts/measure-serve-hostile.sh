#!/usr/bin/env bash
# Hostile clients against a release `epc serve` with its default limits
# (examples/hostile.rs), on loopback: 3,000 slowloris connections (a partial
# header line, then a byte every 200 ms) while /healthz and a valid POST are
# timed, then 250 clients that each send 3.9 MB of a 4 MB body and stall. The
# server's RSS is read from /proc/PID/status (peak sampled, VmHWM, and 2 s
# after). Prints one key=value line per run.
#
# Usage: scripts/measure-serve-hostile.sh
#
# Environment:
#   SLOWLORIS    slowloris connections (default 3000)
#   STALLED      stalled clients (default 250)
#   SERVE_ARGS   extra `epc serve` arguments (for example `--max-connections 64`)
#   EPC_BIN      an epc binary to measure instead of building target/release/epc
#
# Loopback only; the output folder is a temporary directory removed at exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ -n "${EPC_BIN:-}" ]]; then
    cargo build --release --quiet --example hostile
else
    cargo build --release --quiet --bin epc --example hostile
fi
target="${CARGO_TARGET_DIR:-$root/target}"
epc="${EPC_BIN:-$target/release/epc}"
hostile="$target/release/examples/hostile"
ulimit -n 20000 2>/dev/null || true

tmp="$(mktemp -d)"
pid=""
cleanup() {
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -INT "$pid"; sleep 1; kill -KILL "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

start() {
    # shellcheck disable=SC2086
    "$epc" -q serve --listen 127.0.0.1:0 --schema-repo fixtures/schemas/primary \
        --stream-config fixtures/streamconfigs-validate.json --output-dir "$tmp/out" ${SERVE_ARGS:-} \
        2> "$tmp/serve.log" &
    pid=$!
    for _ in $(seq 100); do
        addr="$(sed -n 's|^epc serve: listening on http://\(.*\)/v1/events$|\1|p' "$tmp/serve.log")"
        [[ -n "$addr" ]] && return
        sleep 0.1
    done
    echo "error: epc serve did not start" >&2
    cat "$tmp/serve.log" >&2
    exit 1
}

stop() {
    kill -INT "$pid"
    wait "$pid" || true
    pid=""
}

start
echo "idle: rss_mib=$(awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status")"
timeout 120 "$hostile" slowloris --addr "$addr" --connections "${SLOWLORIS:-3000}" --pid "$pid" --max-seconds 40
stop

start
timeout 180 "$hostile" stalled --addr "$addr" --connections "${STALLED:-250}" --announce 4000000 --send 3900000 --pid "$pid"
stop
