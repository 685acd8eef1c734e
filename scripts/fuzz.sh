#!/usr/bin/env bash
# Fuzzes the checkpoint loader and the tokenizer with libFuzzer (Fuzz/ package, built with --sanitize=fuzzer).
#
# usage: scripts/fuzz.sh [checkpoint|tokenizer|all (default all)] [SECONDS each (default 600)]
# The seed corpora live in Fuzz/corpus/<target>; inputs that grow coverage are added to a working copy in
# .build-fuzz/corpus/<target>; crashes are written to .build-fuzz/crashes/ (add each as a regression test).
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
seconds=${2:-600}
export SWIFT_BACKTRACE=enable=no
(cd Fuzz && swift build -c release --sanitize=fuzzer --scratch-path ../.build-fuzz/build >/dev/null)
bin=.build-fuzz/build/release
mkdir -p .build-fuzz/crashes
run() {  # target name
    local work=.build-fuzz/corpus/$2
    mkdir -p "$work"
    cp -n Fuzz/corpus/"$2"/* "$work"/ 2>/dev/null || true
    echo "fuzzing $1 for $seconds s"
    "$bin/$1" "$work" -max_total_time="$seconds" -max_len=16384 -timeout=20 -rss_limit_mb=4096 \
        -artifact_prefix=.build-fuzz/crashes/"$2"- -print_final_stats=1 2>&1 | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY|Done)" || true
}
case $which in
    checkpoint) run FuzzCheckpoint checkpoint ;;
    tokenizer) run FuzzTokenizer tokenizer ;;
    all) run FuzzCheckpoint checkpoint; run FuzzTokenizer tokenizer ;;
    *) echo "usage: scripts/fuzz.sh [checkpoint|tokenizer|all] [seconds]" >&2; exit 2 ;;
esac
ls .build-fuzz/crashes
