#!/usr/bin/env bash
# Makes .build/browser-venv, a Python virtual environment with Selenium, for the playground's browser test
# (scripts/playground-check.py, run by ServerTests), and OpenAI's Python client, for the README's example of it
# (DocumentTests). The browser itself is Debian's chromium and chromium-driver (`bash scripts/setup.sh --tests`
# installs them). Safe to run again; prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/browser-venv
if ! "$venv/bin/python" -c 'import selenium, openai' 2>/dev/null; then
    mkdir -p .build
    python3 -m venv "$venv"
    echo "browser-venv: installing selenium and openai into $venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check selenium openai >&2
fi
echo "$PWD/$venv/bin/python"
