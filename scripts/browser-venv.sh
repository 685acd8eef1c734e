#!/usr/bin/env bash
# Makes .build/browser-venv, a Python virtual environment with Selenium, for the playground's browser test
# (scripts/playground-check.py, run by ServerTests) and scripts/api-check.sh's schemathesis. The browser itself is
# Debian's chromium and chromium-driver (.ci/run installs them). Safe to run again; prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/browser-venv
if ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
    mkdir -p .build
    python3 -m venv "$venv"
    echo "browser-venv: installing selenium into $venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check selenium >&2
fi
echo "$PWD/$venv/bin/python"
