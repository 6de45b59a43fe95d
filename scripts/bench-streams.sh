#!/usr/bin/env bash
# Scale benchmark of `epc streams` (the listing: cc streams of every stream,
# computed from the prefix index): a synthetic stream config of 10,000 and
# of 100,000 streams (scripts/gen-streams.py), listed as a table to a pipe
# and as JSON. Prints wall time, CPU time (user + system: what a loaded
# machine does not inflate) and maximum RSS per run (GNU time).
# Goal (issue 13): 100,000 streams in under 2 s and under 200 MB.
#
# Usage: scripts/bench-streams.sh [COUNT…]   (default: 10000 100000)
#
# Environment:
#   EPC_BIN  an epc binary to measure instead of building target/release/epc
#
# Everything is written to a temporary directory removed at exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(10000 100000)
[ -x /usr/bin/time ] || { echo "bench-streams: needs GNU time at /usr/bin/time" >&2; exit 2; }
if [ -n "${EPC_BIN:-}" ]; then
  epc="$EPC_BIN"
else
  (cd "$root" && cargo build --release --locked --quiet)
  epc="$root/target/release/epc"
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

printf '%-8s %-6s %9s %9s %12s\n' streams format wall_s cpu_s "max RSS MB"
for n in "${counts[@]}"; do
  config="$tmp/streams-$n.json"
  python3 "$root/scripts/gen-streams.py" "$n" > "$config"
  for format in table json; do
    # Exit 1 is fine: the generated config has streams with findings.
    /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$epc" -q streams --format "$format" --stream-config "$config" \
      > "$tmp/out" 2> "$tmp/err" || [ $? -eq 1 ] || { cat "$tmp/err" >&2; exit 2; }
    read -r seconds user sys kb < "$tmp/time"
    cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
    printf '%-8s %-6s %9s %9s %12s\n' "$n" "$format" "$seconds" "$cpu" "$((kb / 1024))"
  done
done
