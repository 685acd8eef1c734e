#!/usr/bin/env bash
# Prepares charrnn's corpora from Debian packages (installed when missing).
#   corpora/classical-zh.txt  classical Chinese poetry and prose, UTF-8 (fortunes-zh: tang300, song100, and the
#                             classical entries of `chinese`)
#   corpora/fortunes.txt      English quotations (fortunes, fortunes-min: every non-offensive English file)
# Colour escapes and carriage returns are removed; entries (poems, quotations) are shuffled with a fixed seed, so
# the validation split (the last 10%) is drawn from the same mix as training, and separated by a blank line. The
# output is deterministic for a given package version.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=/usr/share/games/fortunes

need=()
[ -f "$dir/tang300" ] && [ -f "$dir/song100" ] && [ -f "$dir/chinese" ] || need+=(fortunes-zh)
[ -f "$dir/fortunes" ] && [ -f "$dir/wisdom" ] || need+=(fortunes fortunes-min)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "corpora: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# entries SEED [--classical FILE...] [--all FILE...]: every '%'-separated entry of the files, cleaned (no ANSI
# escapes, carriage returns, leading or trailing blank lines; blank runs inside squeezed to one), shuffled by
# Perl's seeded generator, one blank line between entries. Entries of --classical files are kept only when they
# are classical text: no Latin letters or digits (the Debian manual's excerpts, software, dates) and not
# attributed to a modern author or source.
entries() {
    perl -CSD -e '
        use strict; use warnings; use utf8;
        my $seed = shift @ARGV;
        my $modern = qr/钱钟书|赫拉利|鲁迅|吴军|老舍|巴金|冰心|朱自清|毛泽东|陈毅|胡志明|余光中|王健林|李彦宏|吧|一九|钢之炼金术师|斯托曼|自由软件/;
        my ($classical, @out) = (0);
        for my $file (@ARGV) {
            if ($file eq "--classical") { $classical = 1; next }
            if ($file eq "--all") { $classical = 0; next }
            open(my $in, "<:encoding(UTF-8)", $file) or die "corpora: cannot read $file\n";
            local $/; my $text = <$in>; close $in;
            $text =~ s/\e\[[0-9;]*[A-Za-z]//g; $text =~ s/\r$//mg;
            for my $entry (split /^%\n/m, $text) {
                $entry =~ s/^(\s*\n)+//; $entry =~ s/\s+\z//; $entry =~ s/\n(\s*\n)+/\n\n/g;
                next if $entry eq "";
                if ($classical) {
                    next if $entry =~ /[A-Za-z0-9]/;
                    my ($by) = $entry =~ /^\s*(?:--|——)(.*)$/m;
                    next if defined $by && $by =~ $modern;
                }
                push @out, $entry;
            }
        }
        srand($seed);
        for (my $i = $#out; $i > 0; $i--) { my $j = int(rand($i + 1)); @out[$i, $j] = @out[$j, $i] }
        print join("\n\n", @out), "\n";
    ' "$@"
}

entries 1 --all "$dir/tang300" "$dir/song100" --classical "$dir/chinese" > "$here/classical-zh.txt.tmp"
mv "$here/classical-zh.txt.tmp" "$here/classical-zh.txt"

english=()
for f in "$dir"/*; do
    name=$(basename "$f")
    case "$name" in
        *.dat|*.u8|tang300|song100|chinese) continue ;;
    esac
    [ -f "$f" ] && [ ! -L "$f" ] && english+=("$f")
done
entries 1 --all "${english[@]}" > "$here/fortunes.txt.tmp"
mv "$here/fortunes.txt.tmp" "$here/fortunes.txt"

for f in classical-zh.txt fortunes.txt; do
    printf 'corpora: %-16s %9d bytes\n' "$f" "$(wc -c < "$here/$f")" >&2
done
