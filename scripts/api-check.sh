#!/usr/bin/env bash
# The API against its description: starts charrnn-serve on a free loopback port with the shipped English model and
# runs schemathesis (from PyPI, in .build/api-venv) over docs/openapi.yaml: generated requests, valid and invalid,
# each checked for no 5xx, a status and content type the description allows, and a body that matches its schema.
# Time is bounded only to catch a hang (300 s a request): speed is the benchmarks' business, and the test command
# checks the debug build, where a request for 80 choices of a thousand tokens takes seconds.
#
# usage: bash scripts/api-check.sh [EXAMPLES per operation, default 200]
# env:   SEED (default 1), MODEL (default models/fortunes-en.safetensors), CHARRNN_SERVE (the server binary to
#        check; default: build and check .build/release/charrnn-serve). The test command checks its debug build.
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-200}
venv=.build/api-venv
[ -x "$venv/bin/schemathesis" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q schemathesis==4.32.5; }
serve=${CHARRNN_SERVE:-}
if [ -z "$serve" ]; then
    swift build -c release --product charrnn-serve >/dev/null
    serve=.build/release/charrnn-serve
fi
log=$(mktemp)
# The server's default limits, which the description states.
"$serve" -m "en=${MODEL:-models/fortunes-en.safetensors}" --port 0 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log" "${spec:-}"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
[ -n "$port" ] || { cat "$log"; echo "api-check: the server did not start" >&2; exit 1; }
# The description cannot know which models a server loads; this run's copy names the one it has, so that valid
# requests use it (an unknown model is a 400, as the description says), and bounds prompt token ids by its
# vocabulary (an id outside it is a 400 too).
spec=$(mktemp --suffix=.yaml)
last_id=$(curl -s "http://127.0.0.1:$port/v1/models/en" | python3 -c 'import json,sys; print(json.load(sys.stdin)["charrnn"]["vocabulary_size"] - 1)')
sed -e 's/        model: {type: string, description: A name from GET \/v1\/models.}/        model: {type: string, enum: [en]}/' \
    -e "s/{type: integer, minimum: 0}/{type: integer, minimum: 0, maximum: $last_id}/g" docs/openapi.yaml >"$spec"
grep -q "enum: \[en\]" "$spec" && grep -q "maximum: $last_id}" "$spec" \
    || { echo "api-check: cannot name the model and its vocabulary in the description" >&2; exit 1; }
"$venv/bin/schemathesis" run "$spec" --url "http://127.0.0.1:$port" --checks all --mode all \
    --max-examples "$examples" --seed "${SEED:-1}" --generation-deterministic --workers 1 \
    --request-timeout 300 --max-response-time 300 \
    --suppress-health-check all
kill -TERM $server
wait $server
echo "api-check: the server exited with status $?"
