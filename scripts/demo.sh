#!/usr/bin/env bash
# The main job: installs what is missing, builds charrnn in release mode, prepares the corpora, and reports the
# vocabulary of each. (Training and sampling join here as those commands land.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release
bash corpora/prepare.sh
charrnn=.build/release/charrnn
echo
echo "== English quotations (corpora/fortunes.txt), graphemes"
"$charrnn" vocab corpora/fortunes.txt --top 10
echo
echo "== Tang and Song poems (corpora/tang-song.txt), graphemes"
"$charrnn" vocab corpora/tang-song.txt --top 10
echo
echo "== Tang and Song poems, ICU words"
"$charrnn" vocab corpora/tang-song.txt --unit word --top 10 --output corpora/tang-song.words.json
echo
echo "charrnn is at $charrnn; try: $charrnn vocab --help"
