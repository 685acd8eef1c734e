#!/usr/bin/env bash
# Prepares charrnn's corpora from Debian packages (installed when missing).
#   corpora/tang-song.txt   Tang and Song poetry (fortunes-zh: tang300 and song100), UTF-8 Chinese
#   corpora/fortunes.txt    English quotations (fortunes, fortunes-min: every non-offensive English file)
# Colour escapes and the '%' separators of the fortune format are removed; poems and quotations are separated
# by a blank line. The output is deterministic for a given package version.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=/usr/share/games/fortunes

need=()
[ -f "$dir/tang300" ] && [ -f "$dir/song100" ] || need+=(fortunes-zh)
[ -f "$dir/fortunes" ] && [ -f "$dir/wisdom" ] || need+=(fortunes fortunes-min)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "corpora: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# strip FILE...: drop ANSI escapes and carriage returns, turn each '%' line into a blank line, squeeze blank runs,
# and trim leading and trailing blank lines.
strip() {
    cat "$@" | sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e 's/\r$//' -e 's/^%$//' | cat -s | sed -e '/./,$!d'
}

strip "$dir/tang300" "$dir/song100" > "$here/tang-song.txt.tmp"
mv "$here/tang-song.txt.tmp" "$here/tang-song.txt"

english=()
for f in "$dir"/*; do
    name=$(basename "$f")
    case "$name" in
        *.dat|*.u8|tang300|song100|chinese) continue ;;
    esac
    [ -f "$f" ] && [ ! -L "$f" ] && english+=("$f")
done
strip "${english[@]}" > "$here/fortunes.txt.tmp"
mv "$here/fortunes.txt.tmp" "$here/fortunes.txt"

for f in tang-song.txt fortunes.txt; do
    printf 'corpora: %-14s %9d bytes\n' "$f" "$(wc -c < "$here/$f")" >&2
done
