#!/usr/bin/env bash
# Training throughput of two charrnn binaries in the same run — a change to the hot path against the code before
# it: alternating runs (A, B, A, B, …) of the same model on tiny-shakespeare, the median and min–max of chars/s
# for each, and the ratio B/A.
#
# usage: benchmarks/train_ab.sh BINARY_A BINARY_B [RUNS (5)] [CELL (lstm)] [HIDDEN (512)] [STEPS (30)] [THREADS (2)]
# e.g.:  git stash; swift build -c release; cp .build/release/charrnn /tmp/charrnn-before; git stash pop
#        swift build -c release; bash benchmarks/train_ab.sh /tmp/charrnn-before .build/release/charrnn 7
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 6,8p "$0" >&2; exit 2; }
a=$1; b=$2; runs=${3:-5}; cell=${4:-lstm}; hidden=${5:-512}; steps=${6:-30}; threads=${7:-2}
corpus=${CORPUS:-corpora/tinyshakespeare.txt}
[ -f "$corpus" ] || { echo "train_ab: $corpus not found (set CORPUS=...)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
warmup=3
# The fixed defaults: --no-auto, for binaries that have automatic settings (2026-12-07 on).
fixed() { "$1" train --help 2>&1 | grep -q -- --no-auto && echo --no-auto || true; }
train() {  # train BINARY STEPS: the training seconds of a fresh run of STEPS updates (metrics.jsonl)
    rm -rf "$out/run"
    "$1" train $(fixed "$1") "$corpus" -o "$out/run" --cell "$cell" --hidden "$hidden" --max-steps "$2" --eval-every 100000 \
        --eval-tokens 2 --threads "$threads" --quiet
    python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["elapsed_seconds"])' "$out/run/metrics.jsonl"
}
rate() {  # rate BINARY: chars/s over updates warmup+1 … warmup+STEPS (as train_compare.sh measures charrnn)
    local short long
    short=$(train "$1" "$warmup")
    long=$(train "$1" $((warmup + steps)))
    python3 -c 'import sys; s, l, n = map(float, sys.argv[1:]); print(n / (l - s))' "$short" "$long" $((steps * 2500))
}
for i in $(seq 1 "$runs"); do
    rate "$a" >> "$out/a.txt"
    rate "$b" >> "$out/b.txt"
done
python3 - "$out/a.txt" "$out/b.txt" "$a" "$b" "$cell" "$hidden" "$threads" <<'PY'
import statistics, sys
a = [float(l) for l in open(sys.argv[1])]; b = [float(l) for l in open(sys.argv[2])]
print(f"{sys.argv[5]} 2x{sys.argv[6]}, {sys.argv[7]} threads, {len(a)} alternating runs each")
for name, v in (("A " + sys.argv[3], a), ("B " + sys.argv[4], b)):
    print(f"  {name}: chars/s median {statistics.median(v):8.0f}  min {min(v):8.0f}  max {max(v):8.0f}")
print(f"  ratio B/A (medians): {statistics.median(b) / statistics.median(a):.3f}")
PY
