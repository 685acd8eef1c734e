#!/usr/bin/env bash
# The quality bar, through the automatic settings: `charrnn train CORPUS --max-time LIMIT` with no other flag than
# the seed, on tiny-shakespeare (nanoGPT's split: the last 10% is validation), at most 60 minutes of wall time on
# this machine, start to finish. The run chooses its own model, regularisation and schedule for the text and the
# time (README: Automatic settings); the script prints that choice and ends with `val_loss=X`, the best validation
# loss in nats per character. With PEER=1 the same settings, read back from the checkpoint (`charrnn info
# --json`), then train in PyTorch (benchmarks/pytorch_quality.py) for the same training time, and the best
# checkpoint's validation loss is recomputed in PyTorch from its weights alone (tools/pytorch/check_checkpoint.py
# --validation).
#
# Until 2026-12-07 this script held the recipe itself (it timed the machine, chose the regularisation by the
# epochs that fit and ended the cosine decay where the time ran out); the automatic settings are that recipe, in
# the library, for any text and budget.
#
# usage: benchmarks/quality.sh [SEED (default 1)]
# env:   CORPUS (corpora/tinyshakespeare.txt), SECONDS_LIMIT (training time, default 3300: with start-up,
#        validations and the last checkpoint the run stays under 60 minutes), OUT (run directory, default a
#        fresh one under /tmp), PEER=1 (also PyTorch; needs python3 with torch, or PYTHON=...), FLAGS (charrnn
#        flags for the run, as one string: the rest are chosen around them; `--no-auto` for the fixed defaults).
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
read -r -a flags <<< "${FLAGS:-}"

start=$(date +%s)
.build/release/charrnn train "$corpus" -o "$out/run" --seed "$seed" --max-time "$limit" "${flags[@]}" \
    2> "$out/train.log" || { tail -5 "$out/train.log" >&2; exit 1; }
wall=$(( $(date +%s) - start ))
sed -n 's/^charrnn: \(automatic settings\|to repeat this run\)/quality: \1/p' "$out/train.log"
best=$(python3 -c 'import json,sys
best = min(json.loads(l)["val_loss"] for l in open(sys.argv[1]) if "val_loss" in l)
print(f"{best:.4f}")' "$out/run/metrics.jsonl")
echo "quality: charrnn seed $seed, $wall s wall time, run in $out/run (metrics.jsonl, loss.svg, train.log)"
if [ "${PEER:-0}" = 1 ]; then
    "$python" tools/pytorch/check_checkpoint.py --validation "$corpus" "$out/run/best.safetensors"
    # The run's settings as pytorch_quality.py's flags (its names: --batch, --seq, --warmup, --decay-steps, --lr).
    read -r -a peer <<< "$(.build/release/charrnn info --json "$out/run/best.safetensors" | python3 -c '
import json, sys
c = json.load(sys.stdin)
m, t = c["model"], c["training"]
r = t.get("regularization", {})
cosine = t["schedule"].get("cosine")
if not cosine: sys.exit("quality: PEER=1 needs a cosine schedule")
flags = {"hidden": m["hiddenSize"], "layers": m["layers"], "embedding": m["embeddingSize"], "batch": t["batchSize"],
         "seq": t["sequenceLength"], "dropout": m["dropout"], "input-dropout": r.get("inputDropout", 0),
         "output-dropout": r.get("outputDropout", 0), "weight-drop": r.get("weightDrop", 0),
         "embedding-dropout": r.get("embeddingDropout", 0), "warmup": cosine["warmup"], "decay-steps": cosine["total"],
         "min-lr-factor": cosine["minimumFactor"], "lr": t["optimizer"]["learningRate"],
         "eval-every": t["evaluateEvery"], "eval-tokens": t.get("evaluationTokens") or 0}
print(" ".join(f"--{k} {v}" for k, v in flags.items()))')"
    "$python" benchmarks/pytorch_quality.py "$corpus" --seconds "$limit" --seed "$seed" "${peer[@]}" \
        | tee "$out/pytorch.jsonl" | sed 's/^val_loss=/pytorch: best val_loss=/'
fi
echo "val_loss=$best"
