#!/usr/bin/env bash
# Training throughput, charrnn against PyTorch in the same run: alternating runs of the same model on
# tiny-shakespeare (B=50, T=50, Adam 2e-3, clip 5), median and min–max of chars/s and peak RSS, and the ratio.
#
# usage: benchmarks/train_compare.sh [RUNS (default 5)] [CELL (lstm)] [HIDDEN (512)] [STEPS (30)] [THREADS (2)]
# needs: python3 with torch (pip install torch==2.13.0), /usr/bin/time, corpora/tinyshakespeare.txt
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}; cell=${2:-lstm}; hidden=${3:-512}; steps=${4:-30}; threads=${5:-2}
corpus=${CORPUS:-corpora/tinyshakespeare.txt}
[ -f "$corpus" ] || { echo "train_compare: $corpus not found (set CORPUS=...)" >&2; exit 1; }
swift build -c release --product charrnn >/dev/null
out=$(mktemp -d)
warmup=3  # updates left out of the timing on both sides (pytorch_train.py's --warmup default)
train() {  # train STEPS: a fresh run of STEPS updates; peak RSS to $out/rss
    rm -rf "$out/run"
    /usr/bin/time -f "%M" -o "$out/rss" .build/release/charrnn train --no-auto "$corpus" -o "$out/run" --cell "$cell" \
        --hidden "$hidden" --max-steps "$1" --eval-every 100000 --eval-tokens 2 --threads "$threads" --quiet
    python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["elapsed_seconds"])' "$out/run/metrics.jsonl"
}
for i in $(seq 1 "$runs"); do
    # charrnn's rate over updates warmup+1 … warmup+STEPS, like PyTorch's: the training time of a run of
    # warmup+STEPS updates minus that of a run of warmup updates (both measured from the first update, without
    # start-up, corpus loading or the final checkpoint).
    short=$(train "$warmup")
    long=$(train $((warmup + steps)))
    python3 -c 'import sys; s, l, n, rss = map(float, sys.argv[1:]); print(n / (l - s), int(rss))' \
        "$short" "$long" $((steps * 2500)) "$(cat "$out/rss")" >> "$out/charrnn.txt"  # B·T = 50·50 chars per update
    python3 benchmarks/pytorch_train.py "$corpus" --cell "$cell" --hidden "$hidden" --steps "$steps" \
        --warmup "$warmup" --threads "$threads" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["chars_per_second"], d["peak_rss_kib"])' >> "$out/pytorch.txt"
done
python3 - "$out/charrnn.txt" "$out/pytorch.txt" "$cell" "$hidden" "$threads" <<'PY'
import statistics, sys
def load(p):
    rows = [list(map(float, l.split())) for l in open(p)]
    return [r[0] for r in rows], [r[1] / 1024 for r in rows]
c, crss = load(sys.argv[1]); t, trss = load(sys.argv[2])
print(f"{sys.argv[3]} 2x{sys.argv[4]}, {sys.argv[5]} threads, {len(c)} runs each")
for name, v, r in (("charrnn", c, crss), ("pytorch", t, trss)):
    print(f"  {name:8} chars/s median {statistics.median(v):8.0f}  min {min(v):8.0f}  max {max(v):8.0f}   peak RSS median {statistics.median(r):6.0f} MiB")
print(f"  ratio charrnn/pytorch (medians): {statistics.median(c) / statistics.median(t):.2f}x speed, {statistics.median(crss) / statistics.median(trss):.2f}x memory")
PY
