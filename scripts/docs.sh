#!/usr/bin/env bash
# Builds the CharRNN library's DocC documentation (swift-docc-plugin) and fails on any warning: every public
# symbol's parameters documented, every ``link`` resolving. Output: .build/plugins/Swift-DocC/outputs/CharRNN.doccarchive
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
swift package generate-documentation --target CharRNN > "$log" 2>&1 || { cat "$log"; exit 1; }
if grep -q "warning:" "$log"; then
    grep -A2 "warning:" "$log"
    echo "docs: $(grep -c "warning:" "$log") warnings" >&2
    exit 1
fi
tail -2 "$log"
