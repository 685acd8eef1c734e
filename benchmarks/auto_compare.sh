#!/usr/bin/env bash
# Automatic settings against the fixed defaults (BENCHMARKS.md: Automatic settings): for each text, `charrnn train
# TEXT --max-time S` with no other flag, then the same with `--no-auto` (the settings before 2026-12-07), one after
# the other on this machine; then, for a fine-tuning text, `--init-from models/fortunes-en.safetensors` against the
# automatic run from scratch. Each line gives the best validation loss (nats per character, on the last 10% of
# the text) and the settings chosen.
#
# usage: benchmarks/auto_compare.sh [SECONDS (300)] [TEXT...]
#   TEXT is a file, or one of the measurement texts this script makes in $OUT/texts from the corpora:
#   fortunes-120k, tinyshakespeare-120k, classical-zh-120k, python-code-120k (the first 120,000 bytes of each, cut
#   at a line), python-code (2 MB of Python's standard library, whole files shuffled with seed 1, from Debian's
#   libpython3.11-minimal), fortunes-de-110k, fortunes-ru-110k (German and Russian quotations, fortunes-de and
#   fortunes-ru, entries shuffled with seed 1, the first 110,000 characters), and fine-tuning texts are named
#   tune:TEXT. Default: fortunes-120k python-code-120k classical-zh-120k tune:fortunes-de-110k.
# env:   OUT (default a fresh directory under /tmp), SEED (1).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
[ $# -gt 0 ] || set -- fortunes-120k python-code-120k classical-zh-120k tune:fortunes-de-110k
out=${OUT:-$(mktemp -d /tmp/charrnn-auto.XXXXXX)}
seed=${SEED:-1}
swift build -c release --product charrnn >/dev/null
bash corpora/prepare.sh 2>/dev/null
charrnn=.build/release/charrnn
mkdir -p "$out/texts"

text() {  # text NAME: the path of a measurement text, made on first use
    local name=$1 path="$out/texts/$1.txt" part="$out/texts/$1.part"
    [ -f "$name" ] && { echo "$name"; return; }
    if [ ! -f "$path" ]; then
        case "$name" in
            *-120k)
                local source="corpora/${name%-120k}.txt"
                [ -f "$source" ] || source=$(text "${name%-120k}")
                head -c 120000 "$source" | sed '$d' > "$part" ;;
            python-code)
                perl -e 'my @f = sort glob("/usr/lib/python3.11/*.py"); srand(1);
                    for (my $i = $#f; $i > 0; $i--) { my $j = int(rand($i + 1)); @f[$i, $j] = @f[$j, $i] }
                    my $n = 0; for my $f (@f) { open(my $h, "<", $f) or die; local $/; my $t = <$h>; close $h;
                    print "# file: ", ($f =~ s{.*/}{}r), "\n", $t, "\n"; $n += length($t); last if $n > 2000000 }' \
                    > "$part" ;;
            fortunes-de-110k|fortunes-ru-110k)
                local lang=${name#fortunes-}; lang=${lang%-110k}
                [ -d "/usr/share/games/fortunes/$lang" ] || {
                    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
                    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "fortunes-$lang" >/dev/null; }
                python3 - "$lang" "$part" <<'EOF'
import glob, os, random, re, sys
lang, path = sys.argv[1], sys.argv[2]
files = sorted(f for f in glob.glob(f"/usr/share/games/fortunes/{lang}/*")
               if not f.endswith((".dat", ".u8")) and os.path.isfile(f) and not os.path.islink(f))
entries = []
for f in files:
    t = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", open(f, encoding="utf-8", errors="replace").read()).replace("\r", "")
    for e in re.split(r"^%\n", t, flags=re.M):
        e = re.sub(r"\n(\s*\n)+", "\n\n", e.strip("\n"))
        if e.strip():
            entries.append(e)
random.Random(1).shuffle(entries)
text = ("\n\n".join(entries) + "\n")[:110000]
open(path, "w", encoding="utf-8").write(text[:text.rfind("\n") + 1])
EOF
                ;;
            *) echo "auto_compare: no text $name" >&2; exit 1 ;;
        esac
        mv "$part" "$path"  # whole or not at all: a stopped run leaves no empty text behind
    fi
    echo "$path"
}

best() {  # best RUN: the lowest validation loss in RUN/metrics.jsonl
    python3 -c 'import json, sys
print("%.4f" % min(json.loads(l)["val_loss"] for l in open(sys.argv[1]) if "val_loss" in l))' "$1/metrics.jsonl"
}

run() {  # run LABEL TEXT FLAGS...: one run, its best loss and (automatic runs) what it chose
    local label=$1 file=$2; shift 2
    local dir="$out/runs/${label// /-}"
    rm -rf "$dir"
    mkdir -p "$out/runs"
    "$charrnn" train "$file" -o "$dir" --max-time "$seconds" --seed "$seed" "$@" 2> "$dir.log" >/dev/null \
        || { tail -3 "$dir.log" >&2; exit 1; }
    local chose
    chose=$(sed -n 's/^charrnn: automatic settings \(.*\) (--no-auto.*/\1/p' "$dir.log")
    printf '%-32s %s  %s\n' "$label" "$(best "$dir")" "${chose:-the fixed defaults}"
}

echo "auto_compare: $seconds s per run on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); runs in $out"
for name in "$@"; do
    if [[ $name == tune:* ]]; then
        file=$(text "${name#tune:}")
        run "${name#tune:} scratch" "$file"
        run "${name#tune:} fine-tuned" "$file" --init-from models/fortunes-en.safetensors
    else
        file=$(text "$name")
        run "$name automatic" "$file"
        run "$name defaults" "$file" --no-auto
    fi
done
