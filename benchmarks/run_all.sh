#!/usr/bin/env bash
# The whole benchmark suite, each part against its peer in the same run (see BENCHMARKS.md):
# tokenizing 100 MB, training LSTM 2×512 / GRU 2×512 / LSTM 2×128 against PyTorch (speed and peak RSS), and
# sampling one stream and 32 streams against PyTorch.
#
# usage: benchmarks/run_all.sh [RUNS (default 5)]; needs python3 with torch==2.13.0, hyperfine,
# corpora/tinyshakespeare.txt (or CORPUS=...), and the corpora from corpora/prepare.sh for tokenizing.
# Takes about 25 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
echo "== tokenizing (benchmarks/tokenizer.sh)"
bash benchmarks/tokenizer.sh
echo "== training (benchmarks/train_compare.sh)"
bash benchmarks/train_compare.sh "$runs" lstm 512 30 2
bash benchmarks/train_compare.sh "$runs" gru 512 30 2
bash benchmarks/train_compare.sh "$runs" lstm 128 100 2
echo "== sampling (benchmarks/sample_compare.sh)"
bash benchmarks/sample_compare.sh "$runs"
