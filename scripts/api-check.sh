#!/usr/bin/env bash
# The API against its description: starts charrnn-serve on a free loopback port with the shipped English model and
# runs schemathesis (from PyPI, in .build/api-venv) over docs/openapi.yaml: generated requests, valid and invalid,
# each checked for no 5xx, a status and content type the description allows, and a body that matches its schema.
#
# usage: bash scripts/api-check.sh [EXAMPLES per operation, default 200]
# env:   SEED (default 1), MODEL (default models/fortunes-en.safetensors)
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-200}
venv=.build/api-venv
[ -x "$venv/bin/schemathesis" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q schemathesis; }
swift build -c release --product charrnn-serve >/dev/null
log=$(mktemp)
# Small limits keep each generated request quick; the checks are about shapes and statuses, not length.
.build/release/charrnn-serve -m "en=${MODEL:-models/fortunes-en.safetensors}" --port 0 --max-tokens 256 \
    --max-prompt-tokens 2048 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
[ -n "$port" ] || { cat "$log"; echo "api-check: the server did not start" >&2; exit 1; }
"$venv/bin/schemathesis" run docs/openapi.yaml --url "http://127.0.0.1:$port" --checks all --mode all \
    --max-examples "$examples" --seed "${SEED:-1}" --generation-deterministic --workers 1 --request-timeout 30 \
    --suppress-health-check all
kill -TERM $server
wait $server
echo "api-check: the server exited with status $?"
