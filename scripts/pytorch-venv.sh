#!/usr/bin/env bash
# Makes .build/pytorch-venv, a Python virtual environment with PyTorch's CPU build, safetensors and numpy, for the
# PyTorch parity tests (PyTorchParityTests), tools/pytorch/ and the benchmarks' PyTorch peers. charrnn itself
# never needs it. Safe to run again; prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/pytorch-venv
if ! "$venv/bin/python" -c 'import torch, safetensors, numpy' 2>/dev/null; then
    if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
        echo "pytorch-venv: installing python3-venv" >&2
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
    fi
    mkdir -p .build
    python3 -m venv "$venv"
    echo "pytorch-venv: installing torch 2.13.0 (CPU), safetensors and numpy into $venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check torch==2.13.0+cpu safetensors numpy >&2
fi
echo "$PWD/$venv/bin/python"
