#!/usr/bin/env bash
# Data-parallel training on this machine: 2 MPI ranks × 1 thread (gradients sent as float32, and as bfloat16)
# against 1 process × 2 threads in the same run (alternating, chars/s over the same updates as train_compare.sh),
# where a 2-rank update's time goes (compute, all-reduce, waiting; charrnn's own profile line), the bytes loopback
# carried per update, and one process's time per update at smaller batches (what a rank of a larger job computes).
#
# usage: benchmarks/mpi_compare.sh [RUNS (5)] [CELL (lstm)] [HIDDEN (512)] [STEPS (30)]
# needs: Open MPI (openmpi-bin), corpora/tinyshakespeare.txt (or CORPUS=...)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}; cell=${2:-lstm}; hidden=${3:-512}; steps=${4:-30}
corpus=${CORPUS:-corpora/tinyshakespeare.txt}
[ -f "$corpus" ] || { echo "mpi_compare: $corpus not found (set CORPUS=...)" >&2; exit 1; }
swift build -c release --product charrnn >/dev/null
bin=$PWD/.build/release/charrnn
mpirun=(mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 --mca btl self,tcp --mca btl_tcp_if_include lo
    --mca oob_tcp_if_include lo -q)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
warmup=3
train() {  # train LAUNCH STEPS BATCH THREADS: training seconds of a fresh run (rank 0's metrics.jsonl)
    local launch=$1 n=$2 batch=$3 threads=$4
    rm -rf "$out/run"
    if [ "$launch" = mpi ] || [ "$launch" = mpi16 ]; then
        local exchange=float32
        [ "$launch" = mpi16 ] && exchange=bfloat16
        "${mpirun[@]}" "$bin" train --no-auto "$corpus" -o "$out/run" --cell "$cell" --hidden "$hidden" --batch-size "$batch" \
            --max-steps "$n" --eval-every 100000 --eval-tokens 2 --threads "$threads" --gradient-exchange "$exchange" \
            > "$out/log" 2>&1
    else
        "$bin" train --no-auto "$corpus" -o "$out/run" --cell "$cell" --hidden "$hidden" --batch-size "$batch" \
            --max-steps "$n" --eval-every 100000 --eval-tokens 2 --threads "$threads" --quiet
    fi
    python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["elapsed_seconds"])' "$out/run/metrics.jsonl"
}
rate() {  # rate LAUNCH BATCH THREADS: chars/s over updates warmup+1 … warmup+STEPS
    local short long
    short=$(train "$1" "$warmup" "$2" "$3")
    long=$(train "$1" $((warmup + steps)) "$2" "$3")
    python3 -c 'import sys; s, l, n = map(float, sys.argv[1:]); print(n / (l - s))' "$short" "$long" $((steps * $2 * 50))
}
lo_bytes() { awk '$1 == "lo:" { print $10 }' /proc/net/dev; }
for i in $(seq 1 "$runs"); do
    rate mpi 50 1 >> "$out/mpi.txt"
    grep -o 'per update:.*' "$out/log" >> "$out/profile.txt"
    rate mpi16 50 1 >> "$out/mpi16.txt"
    grep -o 'per update:.*' "$out/log" >> "$out/profile16.txt"
    rate single 50 2 >> "$out/single.txt"
done
# Bytes over loopback per update: one more 2-rank run, the counter read around it.
before=$(lo_bytes)
train mpi $((warmup + steps)) 50 1 > /dev/null
after=$(lo_bytes)
# One process, 2 threads, smaller batches: a rank's compute per update when a job splits a larger batch.
for i in $(seq 1 "$runs"); do
    for batch in 8 16 25; do
        rate single "$batch" 2 >> "$out/batch-$batch.txt"
    done
done
python3 - "$out" "$cell" "$hidden" "$steps" "$warmup" "$before" "$after" <<'PY'
import re, statistics, sys
out, cell, hidden, steps, warmup, before, after = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
def load(name): return [float(l) for l in open(f"{out}/{name}")]
mpi, mpi16, single = load("mpi.txt"), load("mpi16.txt"), load("single.txt")
print(f"{cell} 2x{hidden}, B=50 T=50, {len(mpi)} alternating runs each")
for name, v in (("2 ranks x 1 thread", mpi), ("same, bfloat16 grads", mpi16), ("1 process x 2 threads", single)):
    print(f"  {name:22} chars/s median {statistics.median(v):8.0f}  min {min(v):8.0f}  max {max(v):8.0f}")
print(f"  ratio 2 ranks / 1 process (medians): {statistics.median(mpi) / statistics.median(single):.2f}x float32, "
      f"{statistics.median(mpi16) / statistics.median(single):.2f}x bfloat16")
for label, name in (("float32", "profile.txt"), ("bfloat16", "profile16.txt")):
    rows = [list(map(float, re.findall(r"([0-9.]+) ms", l))) for l in open(f"{out}/{name}")]
    for i, part in enumerate(["compute", "all-reduce", "waiting"]):
        v = [r[i] for r in rows]
        print(f"  per update ({label}), {part:10}: median {statistics.median(v):7.1f} ms  (min {min(v):.1f}, max {max(v):.1f})")
updates = warmup + steps
print(f"  loopback bytes per update (2 ranks, both directions, with start-up): {(after - before) / updates / 1e6:.1f} MB")
for batch in (8, 16, 25):
    v = load(f"batch-{batch}.txt")
    per_update = batch * 50 / statistics.median(v)
    print(f"  1 process x 2 threads, B={batch:2}: chars/s median {statistics.median(v):7.0f} (min {min(v):.0f}, max {max(v):.0f}): {per_update * 1e3:.0f} ms per update")
PY
