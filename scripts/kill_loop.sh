#!/usr/bin/env bash
# Crash safety: kill `charrnn train` with SIGKILL at random moments, many times, some during checkpoint writes,
# and check each time that the checkpoints on disk load and training resumes from them; at the end, that a run
# removes the temporary files the kills left behind.
#
# usage: scripts/kill_loop.sh [KILLS (default 25)] [SEED (default 1)]
# Prints one line per kill and a summary; exits non-zero on the first checkpoint that does not load or resume.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-25}
RANDOM=${2:-1}
swift build -c release --product charrnn >/dev/null
bin=.build/release/charrnn
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=corpora/tinyshakespeare.txt
run=$work/run
# Hidden 384: checkpoints of ~20 MB (weights and Adam moments), written after every update, so a good share of
# the kills land in the middle of a write.
flags=(--no-auto --hidden 384 --batch-size 8 --seq-length 32 --eval-every 1 --eval-tokens 200 --quiet --threads 1)
during_write=0
for i in $(seq 1 "$kills"); do
    if [ -f "$run/latest.safetensors" ]; then
        "$bin" train "$corpus" -o "$run" --resume "$run/latest.safetensors" --max-steps 1000000 --quiet --threads 1 &
    else
        "$bin" train "$corpus" -o "$run" "${flags[@]}" &
    fi
    pid=$!
    delay=$(printf '0.%03d' $((RANDOM % 1000)))
    sleep "$(python3 -c "print(0.3 + 2.5 * $delay)")"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    leftovers=$(find "$run" -name '.charrnn-tmp-*' 2>/dev/null | wc -l)
    [ "$leftovers" -gt 0 ] && during_write=$((during_write + 1))
    if [ -f "$run/latest.safetensors" ]; then
        for c in latest best; do
            [ -f "$run/$c.safetensors" ] || continue
            if ! "$bin" info "$run/$c.safetensors" --json > "$work/info.json" 2> "$work/info.err"; then
                echo "kill $i: $c.safetensors does not load: $(cat "$work/info.err")" >&2
                exit 1
            fi
        done
        step=$(python3 -c "import json; print(json.load(open('$work/info.json'))['state']['step'])" 2>/dev/null || echo "?")
    else
        step="none yet"
    fi
    echo "kill $i: after $(python3 -c "print(round(0.3 + 2.5 * $delay, 2))") s; temporary files left: $leftovers; latest checkpoint step: $step"
done
# One more resumed run for two steps must succeed and clear every leftover.
[ -f "$run/latest.safetensors" ] || { echo "no checkpoint was ever written; kill later" >&2; exit 1; }
step=$("$bin" info "$run/latest.safetensors" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['state']['step'])")
"$bin" train "$corpus" -o "$run" --resume "$run/latest.safetensors" --max-steps $((step + 2)) --quiet --threads 1
left=$(find "$run" -name '.charrnn-tmp-*' | wc -l)
final=$("$bin" info "$run/latest.safetensors" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['state']['step'])")
echo "summary: $kills kills, $during_write with a checkpoint write in progress; every checkpoint loaded; resumed from step $step to $final; temporary files after the resumed run: $left"
[ "$left" -eq 0 ] && [ "$final" -eq $((step + 2)) ]
