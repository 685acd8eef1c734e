#!/usr/bin/env bash
# Sampling speed, charrnn against PyTorch eager (oneDNN off, its faster setting here) in the same run, alternating:
# an LSTM 2×512 (V=65, E=64), temperature 0.8; one stream on one core and on all cores, and 32 streams; charrnn
# with float32 and float16 weights. charrnn's start-up (loading the checkpoint, measured each round with
# --length 0) is subtracted. Prints medians, min–max and ratios to PyTorch.
#
# usage: benchmarks/sample_compare.sh [RUNS (default 5)]; needs python3 with torch, corpora/tinyshakespeare.txt
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
corpus=${CORPUS:-corpora/tinyshakespeare.txt}
swift build -c release --product charrnn >/dev/null
out=$(mktemp -d)
# A 2×512 checkpoint (one update is enough: speed does not depend on the weights).
.build/release/charrnn train --no-auto "$corpus" -o "$out/model" --hidden 512 --max-steps 1 --eval-every 1 --eval-tokens 2 --quiet
model="$out/model/latest.safetensors"
seconds() {  # charrnn sample arguments…: prints the wall time of one run
    local start end
    start=$(date +%s.%N)
    .build/release/charrnn sample -m "$model" --prime "T" --seed 1 "$@" >/dev/null
    end=$(date +%s.%N)
    python3 -c "print($end - $start)"
}
record() {  # name streams tokens startup charrnn-arguments…
    local name=$1 streams=$2 tokens=$3 startup=$4
    shift 4
    local t
    t=$(seconds --length "$tokens" --num-samples "$streams" "$@")
    python3 -c "print($streams * $tokens / ($t - $startup))" >> "$out/$name"
}
pytorch() {  # name streams tokens
    python3 benchmarks/pytorch_sample.py --tokens "$3" --streams "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_second"])' >> "$out/$1"
}
for i in $(seq 1 "$runs"); do
    startup=$(seconds --length 0)
    record c32_one 1 5000 "$startup" --threads 1
    record c16_one 1 10000 "$startup" --threads 1 --precision float16
    record c32_all 1 5000 "$startup"
    record c16_all 1 10000 "$startup" --precision float16
    pytorch p1 1 500
    record c32_b32 32 500 "$startup"
    record c16_b32 32 500 "$startup" --precision float16
    pytorch p32 32 200
done
python3 - "$out" <<'PY'
import statistics, sys
d = sys.argv[1]
def load(n): return [float(l) for l in open(f"{d}/{n}")]
p1, p32 = statistics.median(load("p1")), statistics.median(load("p32"))
print(f"{'':34} {'median tok/s':>12}  {'min–max':>15}  ratio to PyTorch")
for label, name, peer in (("1 stream, 1 core, float32", "c32_one", p1), ("1 stream, 1 core, float16", "c16_one", p1),
                          ("1 stream, all cores, float32", "c32_all", p1), ("1 stream, all cores, float16", "c16_all", p1),
                          ("PyTorch 1 stream, 1 thread", "p1", p1),
                          ("32 streams, float32", "c32_b32", p32), ("32 streams, float16", "c16_b32", p32),
                          ("PyTorch 32 streams, 1 thread", "p32", p32)):
    v = load(name)
    print(f"{label:34} {statistics.median(v):12.0f}  {min(v):7.0f}–{max(v):<7.0f}  {statistics.median(v) / peer:.2f}x")
for precision, key, one in (("float32", "c32_b32", "c32_all"), ("float16", "c16_b32", "c16_all")):
    b32 = statistics.median(load(key))
    print(f"32 streams, {precision}, in all: {b32 / p1:.1f}x PyTorch's one stream, "
          f"{b32 / statistics.median(load(one)):.1f}x charrnn's one {precision} stream (all cores)")
PY
