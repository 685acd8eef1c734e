#!/usr/bin/env bash
# Formats the Swift code with `swift format` (.swift-format) and the C code with clang-format (.clang-format), and
# checks that no line of either is longer than 120 characters (the formatters cannot wrap comments or string
# literals). With --check it changes nothing and fails, naming the files, when the code is not formatted: the
# test command runs that. clang-format comes from Debian (installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
check=false
[ "${1:-}" = "--check" ] && check=true
if ! command -v clang-format >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "format: installing clang-format" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clang-format >/dev/null
fi
swift_files=$(git ls-files --cached --others --exclude-standard '*.swift')
c_files=$(git ls-files --cached --others --exclude-standard 'Sources/*.c' 'Sources/*.h')
if $check; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    failed=()
    for f in $swift_files; do
        swift format --configuration .swift-format "$f" > "$out/formatted" && cmp -s "$f" "$out/formatted" || failed+=("$f")
    done
    for f in $c_files; do
        clang-format --style=file "$f" > "$out/formatted" && cmp -s "$f" "$out/formatted" || failed+=("$f")
    done
    if [ ${#failed[@]} -gt 0 ]; then
        echo "format: not formatted (run bash scripts/format.sh): ${failed[*]}" >&2
        exit 1
    fi
else
    swift format --configuration .swift-format --in-place $swift_files
    clang-format --style=file -i $c_files
fi
# Lines over 120 characters (Unicode scalars, not bytes), which neither formatter wraps.
python3 - $swift_files $c_files <<'PY'
import sys
long = [f"{path}:{n}: {len(line)} characters"
        for path in sys.argv[1:]
        for n, line in enumerate(open(path, encoding="utf-8").read().splitlines(), 1) if len(line) > 120]
if long:
    print("format: lines over 120 characters:\n  " + "\n  ".join(long), file=sys.stderr)
    sys.exit(1)
PY
