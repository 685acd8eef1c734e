#!/usr/bin/env bash
# Serving speed of two charrnn-serve binaries in the same run — a change to the engine or the HTTP side against
# the code before it. Each round starts each binary afresh on a loopback port (`-m m=CHECKPOINT`, its defaults),
# warms it up for a second, then runs wrk (benchmarks/serve_wrk.lua: streaming requests of 200 tokens) with one
# connection and with 32 for SECONDS each; rounds alternate which binary goes first, so a VM that speeds up or
# slows down during the run favours neither. Prints each figure, then per binary the median and min–max of
# tokens/s (requests/s × 200) and of the ratio of 32 connections to one.
#
# usage: benchmarks/serve_ab.sh BINARY_A BINARY_B CHECKPOINT [ROUNDS (6)] [SECONDS (6)]
# env:   PROMPTS=distinct gives every request a prompt of its own (see serve_wrk.lua). Needs Debian's wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { sed -n 9p "$0" >&2; exit 2; }
a=$1; b=$2; model=$3; rounds=${4:-6}; seconds=${5:-6}
command -v wrk >/dev/null || { echo "serve_ab: wrk not found (apt-get install wrk)" >&2; exit 1; }
out=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$out"' EXIT

rate() {  # rate PORT CONNECTIONS: tokens/s over SECONDS of wrk
    wrk -t1 -c"$2" -d"${seconds}s" -s benchmarks/serve_wrk.lua "http://127.0.0.1:$1/v1/completions" |
        awk '/^Requests\/sec:/ { printf "%.0f\n", $2 * 200 }'
}

measure() {  # measure BINARY NAME: one round of one binary, appended to $out/NAME
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$1" -m "m=$model" --port "$port" >/dev/null 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
        sleep 0.1
    done
    wrk -t1 -c32 -d1s -s benchmarks/serve_wrk.lua "http://127.0.0.1:$port/v1/completions" >/dev/null
    local one many
    one=$(rate "$port" 1)
    many=$(rate "$port" 32)
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=
    echo "$one $many" >> "$out/$2"
    echo "$2: 1 connection $one tokens/s, 32 connections $many"
}

for round in $(seq 1 "$rounds"); do
    if [ $((round % 2)) -eq 1 ]; then measure "$a" A; measure "$b" B; else measure "$b" B; measure "$a" A; fi
done
python3 - "$out/A" "$out/B" <<'E'
import statistics, sys
for name, path in zip("AB", sys.argv[1:]):
    rows = [tuple(map(float, line.split())) for line in open(path)]
    one, many = [r[0] for r in rows], [r[1] for r in rows]
    ratio = [m / o for o, m in rows]
    f = lambda xs, p: f"{statistics.median(xs):{p}} ({min(xs):{p}}–{max(xs):{p}})"
    print(f"{name}: 1 connection {f(one, ',.0f')} tokens/s, 32 connections {f(many, ',.0f')}, "
          f"ratio {f(ratio, '.2f')} over {len(rows)} rounds")
E
