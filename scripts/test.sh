#!/usr/bin/env bash
# The test command: installs what is missing, checks the code's format, runs the whole test suite, checks that
# the library example (Examples/, a separate package that depends on this one) still builds, and that the
# library's documentation builds without a warning. PyTorch parity runs when .build/pytorch-venv exists
# (bash scripts/pytorch-venv.sh; CI makes it) and is skipped with a message otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/format.sh --check
swift test
(cd Examples && swift build --scratch-path ../.build-examples)
bash scripts/docs.sh
