#!/usr/bin/env bash
# Generation speed of two charrnn binaries in the same run — a change to the generation step against the code
# before it: alternating runs (A, B, A, B, …) of `charrnn sample` on one checkpoint, for one stream and for 32, the
# median and min–max of tokens/s for each, and the ratio B/A.
#
# usage: benchmarks/sample_ab.sh BINARY_A BINARY_B CHECKPOINT [RUNS (5)] [PRECISION (float32)]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { sed -n 6p "$0" >&2; exit 2; }
a=$1; b=$2; model=$3; runs=${4:-5}; precision=${5:-float32}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rate() {  # rate BINARY STREAMS TOKENS: tokens/s of one sample run (all streams' tokens over its wall time)
    local start end
    start=$(date +%s.%N)
    "$1" sample -m "$model" --prime "T" --seed 1 --length "$3" --num-samples "$2" --precision "$precision" >/dev/null
    end=$(date +%s.%N)
    python3 -c 'import sys; s, e, n = map(float, sys.argv[1:]); print(n / (e - s))' "$start" "$end" $(($2 * $3))
}
for streams in 1 32; do
    tokens=$((streams == 1 ? 6000 : 1000))
    for i in $(seq 1 "$runs"); do
        rate "$a" "$streams" "$tokens" >> "$out/a$streams"
        rate "$b" "$streams" "$tokens" >> "$out/b$streams"
    done
    python3 - "$out/a$streams" "$out/b$streams" "$streams" <<'E'
import statistics, sys
a = [float(x) for x in open(sys.argv[1])]
b = [float(x) for x in open(sys.argv[2])]
ma, mb = statistics.median(a), statistics.median(b)
print(f"{sys.argv[3]} stream(s): A {ma:,.0f} ({min(a):,.0f}–{max(a):,.0f}) tokens/s, "
      f"B {mb:,.0f} ({min(b):,.0f}–{max(b):,.0f}); B/A {mb / ma:.3f} over {len(a)} alternating runs each")
E
done
