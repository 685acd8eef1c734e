#!/usr/bin/env bash
# The main job: installs what is missing, builds every program the README documents in release mode (charrnn and
# the server it runs, charrnn-serve), prepares the corpora, trains an LSTM on the English quotations for a
# bounded time with the settings charrnn chooses (progress on the terminal), scores it, samples from it, says where
# the checkpoint and metrics are, and how to serve it. The training gets what is left of 5½ minutes after the set-up and the build (between 30
# and 120 s), so that the whole job stays within 6 minutes on 2 cores from a clean clone, where the release build
# takes 4 to 5 of them; DEMO_SECONDS sets it instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release   # charrnn and charrnn-serve
bash corpora/prepare.sh
charrnn=.build/release/charrnn
run=runs/demo
left=$(( 330 - SECONDS ))   # bash's SECONDS: the time since the script started
seconds=${DEMO_SECONDS:-$(( left < 30 ? 30 : left > 120 ? 120 : left ))}

echo
echo "== The corpus: English quotations (corpora/fortunes.txt)"
"$charrnn" vocab corpora/fortunes.txt --top 5
echo
echo "== Training for ${seconds} s with the settings charrnn chooses for this text and time (checkpoints and metrics in $run)"
rm -rf "$run"
"$charrnn" train corpora/fortunes.txt -o "$run" --max-time "$seconds"
echo
echo "== Scoring the validation text (the last 10% of the corpus) with the best checkpoint"
tail -c 250000 corpora/fortunes.txt > "$run/validation-sample.txt"
"$charrnn" eval -m "$run/best.safetensors" "$run/validation-sample.txt"
echo
echo "== Sampling 400 characters, primed with \"The meaning of life\""
echo "The meaning of life" | "$charrnn" sample -m "$run/best.safetensors" --length 400 --temperature 0.7 --seed 1
echo
echo "checkpoint: $run/best.safetensors (and latest.safetensors); metrics: $run/metrics.jsonl; loss plot: $run/loss.svg"
echo
echo "To serve it beside the shipped English model, with the browser playground at http://127.0.0.1:8080/ (Ctrl-C stops):"
echo "  $charrnn serve -m demo=$run/best.safetensors -m en=models/fortunes-en.safetensors"
