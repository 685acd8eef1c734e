#!/usr/bin/env bash
# Which learning rate a k-fold larger global batch wants (what N ranks with the same per-rank batch give): LSTM
# 2×128 on tiny-shakespeare, every run seeing the same characters (B × T × updates), cosine schedule with the
# warm-up in characters too. The base batch at the base rate, then 4× the batch at the same rate, at √4×, 4× and
# 8× the rate, and 16× the batch at 16× the rate; best validation loss (full validation split) per seed. One process stands in for the ranks: N ranks train what
# one process trains with the same global batch (MPITests.twoRanksTrainWhatOneProcessTrains).
#
# usage: benchmarks/lr_scaling.sh [SEEDS (2)] [CHARACTERS (3200000)]
#        SETTINGS="64 0.008;256 0.032" benchmarks/lr_scaling.sh   (other batch-and-rate pairs)
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-2}; chars=${2:-3200000}
corpus=${CORPUS:-corpora/tinyshakespeare.txt}
[ -f "$corpus" ] || { echo "lr_scaling: $corpus not found (set CORPUS=...)" >&2; exit 1; }
swift build -c release --product charrnn >/dev/null
bin=$PWD/.build/release/charrnn
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() {  # run BATCH LR SEED: best validation loss
    local batch=$1 lr=$2 seed=$3 steps
    steps=$((chars / (batch * 50)))
    rm -rf "$out/run"
    "$bin" train --no-auto "$corpus" -o "$out/run" --cell lstm --hidden 128 --layers 2 --batch-size "$batch" \
        --learning-rate "$lr" --lr-schedule cosine --warmup-steps $((steps / 10)) --max-steps "$steps" \
        --eval-every $((steps / 4)) --seed "$seed" --quiet
    python3 -c 'import json,sys; print(min(json.loads(l)["val_loss"] for l in open(sys.argv[1]) if "val_loss" in l))' \
        "$out/run/metrics.jsonl"
}
printf '%-28s' "batch, learning rate"
for seed in $(seq 1 "$seeds"); do printf '  seed %-6s' "$seed"; done
echo
IFS=';' read -r -a settings <<< "${SETTINGS:-16 0.002;64 0.002;64 0.004;64 0.008;64 0.016;256 0.032}"
for setting in "${settings[@]}"; do
    set -- $setting
    printf '%-28s' "B=$1, lr $2"
    for seed in $(seq 1 "$seeds"); do printf '  %-11.4f' "$(run "$1" "$2" "$seed")"; done
    echo
done
