#!/usr/bin/env bash
# Installs what charrnn needs on Debian/Ubuntu when it is missing: ICU and OpenBLAS headers, pkg-config, the
# fortune packages the corpora come from, and Open MPI (mpirun, for training on many machines; charrnn loads it at
# run time, only under mpirun) with iproute2 for the two-host tests. Checks the Swift toolchain. Safe to run again.
#
# usage: bash scripts/setup.sh [--tests]
# --tests also installs what the test suite needs beside charrnn (the test command passes it): clang-format (the
# format check), curl (the README's server examples), python3-venv (the venvs of pytorch-venv.sh, browser-venv.sh and api-check.sh), and
# Debian's chromium and chromium-driver (the playground's browser test).
set -euo pipefail

packages=(libicu-dev libopenblas-dev pkg-config fortunes fortunes-min fortunes-zh openmpi-bin libopenmpi-dev iproute2)
[ "${1:-}" = "--tests" ] && packages+=(clang-format curl python3-venv chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
        sudo=sudo
    fi
    echo "setup: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
    for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        [ -x "$dir/swift" ] && { echo "setup: swift is in $dir; add it to PATH" >&2; exit 1; }
    done
    echo "setup: the Swift toolchain (6.0 or newer) is not installed; see https://www.swift.org/install/linux/" >&2
    exit 1
fi
