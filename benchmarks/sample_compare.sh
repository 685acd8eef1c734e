#!/usr/bin/env bash
# Sampling speed, charrnn against PyTorch eager (oneDNN off, its faster setting here) in the same run: one stream
# and 32 streams of an LSTM 2×512 (V=65, E=64), temperature 0.8, one thread, alternating runs; medians, min–max
# and ratios.
#
# usage: benchmarks/sample_compare.sh [RUNS (default 5)]; needs python3 with torch, ../shared/corpora/tinyshakespeare.txt
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
corpus=${CORPUS:-../shared/corpora/tinyshakespeare.txt}
swift build -c release >/dev/null
out=$(mktemp -d)
# A 2×512 checkpoint (one update is enough: speed does not depend on the weights).
.build/release/charrnn train "$corpus" -o "$out/model" --hidden 512 --max-steps 1 --eval-every 1 --eval-tokens 2 --quiet
model="$out/model/latest.safetensors"
tokens_per_second() {  # streams tokens: runs charrnn sample and prints tokens/s
    local start end
    start=$(date +%s.%N)
    .build/release/charrnn sample -m "$model" --prime "T" --length "$2" --num-samples "$1" --seed 1 >/dev/null
    end=$(date +%s.%N)
    python3 -c "print($1 * $2 / ($end - $start))"
}
for i in $(seq 1 "$runs"); do
    tokens_per_second 1 3000 >> "$out/c1"
    python3 benchmarks/pytorch_sample.py --tokens 500 --streams 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_second"])' >> "$out/p1"
    tokens_per_second 32 1000 >> "$out/c32"
    python3 benchmarks/pytorch_sample.py --tokens 200 --streams 32 | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_second"])' >> "$out/p32"
done
python3 - "$out" <<'PY'
import statistics, sys
d = sys.argv[1]
def load(n): return [float(l) for l in open(f"{d}/{n}")]
for label, c, p in (("1 stream", "c1", "p1"), ("32 streams", "c32", "p32")):
    cv, pv = load(c), load(p)
    print(f"{label:10}  charrnn median {statistics.median(cv):8.0f} tok/s (min {min(cv):.0f}, max {max(cv):.0f})"
          f"   pytorch median {statistics.median(pv):8.0f} (min {min(pv):.0f}, max {max(pv):.0f})"
          f"   ratio {statistics.median(cv) / statistics.median(pv):.2f}x")
PY
