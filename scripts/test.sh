#!/usr/bin/env bash
# The test command: installs what is missing, runs the whole test suite, and checks that the library example
# (Examples/, a separate package that depends on this one) still builds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift test
(cd Examples && swift build --scratch-path ../.build-examples)
