#!/usr/bin/env bash
# Tokenizer benchmark: `charrnn vocab` (read, tokenize into grapheme clusters, count, encode to ids) on a 100 MB
# mixed Chinese/English/emoji corpus, against nanoGPT's way of preparing a character corpus (Python: sorted set of
# code points, then a uint16 id per character) in the same run. Prints hyperfine's table and peak RSS.
#
# usage: benchmarks/tokenizer.sh [MEGABYTES] (default 100); needs hyperfine, /usr/bin/time, python3 with numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-100}
corpus=${TMPDIR:-/tmp}/charrnn-mixed-$mb.txt
[ -f corpora/fortunes.txt ] || bash corpora/prepare.sh
[ -f "$corpus" ] || python3 benchmarks/make_mixed_corpus.py "$mb" "$corpus"
swift build -c release --product charrnn >/dev/null
bin=.build/release/charrnn
export OPENBLAS_NUM_THREADS=1
hyperfine --warmup 1 --runs 7 --export-json "${TMPDIR:-/tmp}/charrnn-tokenizer.json" \
    -n "charrnn vocab (grapheme)" "$bin vocab $corpus --top 0" \
    -n "charrnn vocab (codepoint)" "$bin vocab --unit codepoint $corpus --top 0" \
    -n "charrnn vocab (byte)" "$bin vocab --unit byte $corpus --top 0" \
    -n "python nanoGPT-style (codepoint)" "python3 benchmarks/peer_prepare.py $corpus"
for cmd in "$bin vocab $corpus --top 0" "python3 benchmarks/peer_prepare.py $corpus"; do
    /usr/bin/time -f "peak RSS %M KiB: $cmd" $cmd >/dev/null
done
ls -l "$corpus"
