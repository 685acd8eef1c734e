#!/usr/bin/env bash
# The test command: installs what is missing (Debian packages, and the Python venvs the suite's peers run in:
# PyTorch for the parity tests, Selenium and the openai client for the browser test and the README's examples,
# schemathesis for the API check), checks the code's format, runs the whole test suite, checks the server against
# docs/openapi.yaml, checks that the library example (Examples/, a separate package that depends on this one)
# still builds, and that the library's documentation builds without a warning. Safe to run again; CI runs exactly
# this (.ci/run). The only tests it skips are those this machine's hardware cannot run (no AVX-512) and, when not
# run as root, the two-host tests (network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
bash scripts/pytorch-venv.sh >/dev/null
bash scripts/browser-venv.sh >/dev/null
bash scripts/format.sh --check
swift test
# The debug build swift test made; fewer examples than a full check (scripts/api-check.sh's default, 200).
CHARRNN_SERVE=.build/debug/charrnn-serve bash scripts/api-check.sh 40
(cd Examples && swift build --scratch-path ../.build-examples)
bash scripts/docs.sh
