#!/usr/bin/env bash
# The quality bar: charrnn's recipe on tiny-shakespeare (nanoGPT's split: the last 10% is validation) for at most
# 60 minutes of wall time on this machine, start to finish; the last line is `val_loss=X`, the best validation
# loss in nats per character. With PEER=1 the same recipe then runs in PyTorch (benchmarks/pytorch_quality.py)
# for the same training time, and the best checkpoint's validation loss is recomputed in PyTorch from its weights
# alone (tools/pytorch/check_checkpoint.py --validation).
#
# usage: benchmarks/quality.sh [SEED (default 1)]
# env:   CORPUS (corpora/tinyshakespeare.txt), SECONDS_LIMIT (training time, default 3300: with start-up,
#        validations and the last checkpoint the run stays under 60 minutes), OUT (run directory, default a
#        fresh one under /tmp), PEER=1 (also PyTorch; needs python3 with torch, or PYTHON=...).
#        Settings other than the recipe's, for BENCHMARKS.md's table: HIDDEN, LAYERS, EMBEDDING, BATCH, SEQ,
#        WARMUP, DECAY (the update where the cosine decay ends; default: measured, see below), LR, and
#        REGULARISATION (charrnn's flags as one string; both default to one of two settings, chosen by the epochs
#        that fit in the hour, see below).
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-1}
corpus=${CORPUS:-corpora/tinyshakespeare.txt}
limit=${SECONDS_LIMIT:-3300}
[ -f "$corpus" ] || { echo "quality: $corpus not found (set CORPUS=...)" >&2; exit 1; }
swift build -c release --product charrnn >/dev/null
out=${OUT:-$(mktemp -d /tmp/charrnn-quality.XXXXXX)}
python=${PYTHON:-python3}
[ -x .build/pytorch-venv/bin/python ] && [ -z "${PYTHON:-}" ] && python=.build/pytorch-venv/bin/python

# The recipe (README: Getting good results; docs/performance-log.md has the settings tried), as charrnn's flags;
# pytorch_quality.py takes the same names but for --batch, --seq, --warmup, --decay-steps and --lr.
hidden=${HIDDEN:-640} layers=${LAYERS:-2} embedding=${EMBEDDING:-64} batch=${BATCH:-50} seq=${SEQ:-100}
warmup=${WARMUP:-200}
# Two settings of regularisation and learning rate; which one runs depends on the epochs the hour allows (below).
long_regularisation="--dropout 0.2 --input-dropout 0.1 --output-dropout 0.2 --weight-drop 0.3" long_lr=0.002
short_regularisation="--dropout 0.15 --input-dropout 0.05 --output-dropout 0.15 --weight-drop 0.2" short_lr=0.003
read -r -a regularisation <<< "${REGULARISATION:-$long_regularisation}"
model=(--hidden $hidden --layers $layers --embedding $embedding --batch-size $batch --seq-length $seq)

start=$(date +%s)
# The cosine decay ends where the time runs out: machines differ 2.6x in speed (5,250 characters/s on a Zen 3,
# 13,600 on a Zen 5), and a schedule sized for one is cut short, or flat for half the hour, on the other. So
# unless DECAY is given, 70 timed updates of the same model measure this machine (the median of six spans of 10,
# after 10 of warm-up: a shared VM's speed jumps), and the decay ends at 95% of the updates that fit in the
# training time (the rest pays for the validations). The run itself is deterministic given the decay printed
# here; DECAY=N repeats it anywhere.
if [ -z "${DECAY:-}" ]; then
    .build/release/charrnn train --no-auto "$corpus" -o "$out/calibrate" "${model[@]}" "${regularisation[@]}" \
        --seed "$seed" --max-steps 70 --eval-every 10 --eval-tokens 2 --quiet
    decay=$(python3 -c 'import json, statistics, sys
t = {r["step"]: r["elapsed_seconds"] for r in map(json.loads, open(sys.argv[1])) if "val_loss" in r}
per_update = statistics.median((t[s + 10] - t[s]) / 10 for s in range(10, 70, 10))
print(max(1000, int(0.95 * float(sys.argv[2]) / per_update) // 100 * 100))' "$out/calibrate/metrics.jsonl" "$limit")
    rm -rf "$out/calibrate"
    echo "quality: the decay ends at update $decay (measured on this machine; DECAY=$decay repeats it)"
else
    decay=$DECAY
fi
# AWD-LSTM's heavier regularisation pays where the model reads the text 25 times or more in the hour (2x640 on a
# Zen 5: 1.4178 and 1.4085). Where the decay ends before 18 M characters (18 epochs of the training text; a Zen 4
# or a Zen 3), it slows learning more than it stops memorising, and lighter regularisation with Adam at 3e-3 does
# better (the Zen 4: 1.4186 and 1.4178, the heavier setting 1.4255). docs/runs/README.md lists every run.
# REGULARISATION and LR override the choice.
if [ "$(( decay * batch * seq ))" -lt 18000000 ]; then
    setting="lighter regularisation, Adam at 3e-3 (fewer than 18 epochs fit)"
    read -r -a regularisation <<< "${REGULARISATION:-$short_regularisation}"
    lr=${LR:-$short_lr}
else
    setting="AWD-LSTM regularisation, Adam at 2e-3"
    lr=${LR:-$long_lr}
fi
[ -n "${REGULARISATION:-}${LR:-}" ] && setting="the given setting (the script would choose $setting)"
echo "quality: $setting: ${regularisation[*]} --learning-rate $lr"
model+=("${regularisation[@]}")
recipe=("${model[@]}" --lr-schedule cosine --warmup-steps $warmup --lr-decay-steps $decay --learning-rate $lr)

.build/release/charrnn train --no-auto "$corpus" -o "$out/run" "${recipe[@]}" --seed "$seed" --max-time "$limit" \
    --eval-every 250 --quiet
wall=$(( $(date +%s) - start ))
best=$(python3 -c 'import json,sys
best = min(json.loads(l)["val_loss"] for l in open(sys.argv[1]) if "val_loss" in l)
print(f"{best:.4f}")' "$out/run/metrics.jsonl")
echo "quality: charrnn seed $seed, $wall s wall time, run in $out/run (metrics.jsonl, loss.svg)"
if [ "${PEER:-0}" = 1 ]; then
    "$python" tools/pytorch/check_checkpoint.py --validation "$corpus" "$out/run/best.safetensors"
    "$python" benchmarks/pytorch_quality.py "$corpus" --seconds "$limit" --seed "$seed" --hidden $hidden \
        --layers $layers --embedding $embedding --batch $batch --seq $seq "${regularisation[@]}" \
        --warmup $warmup --decay-steps $decay --lr $lr --eval-every 250 | tee "$out/pytorch.jsonl" \
        | sed 's/^val_loss=/pytorch: best val_loss=/'
fi
echo "val_loss=$best"
