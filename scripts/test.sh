#!/usr/bin/env bash
# The test command: installs what is missing, runs the whole test suite, checks that the library example
# (Examples/, a separate package that depends on this one) still builds, and that the library's documentation
# builds without a warning.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift test
(cd Examples && swift build --scratch-path ../.build-examples)
bash scripts/docs.sh
