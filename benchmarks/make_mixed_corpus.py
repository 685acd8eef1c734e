#!/usr/bin/env python3
"""Writes a deterministic mixed Chinese/English/emoji corpus of a given size for the tokenizer benchmark.

Lines are drawn (seeded) from corpora/classical-zh.txt and corpora/fortunes.txt (run corpora/prepare.sh first),
and one line in eight gets emoji, including ZWJ sequences, flags, skin tones and keycaps, so the text exercises
every path of the tokenizer: ASCII, CJK, multi-code-point grapheme clusters.

usage: make_mixed_corpus.py MEGABYTES OUTPUT
"""
import random
import sys
from pathlib import Path

EMOJI = ["😀", "👨‍👩‍👧", "🇯🇵", "🇨🇳", "👍🏽", "1️⃣", "❤️", "🏳️‍🌈", "é", "e\u0301", "한국어", "नमस्ते"]


def main() -> None:
    megabytes, output = float(sys.argv[1]), Path(sys.argv[2])
    root = Path(__file__).resolve().parent.parent / "corpora"
    chinese = (root / "classical-zh.txt").read_text(encoding="utf-8").splitlines()
    english = (root / "fortunes.txt").read_text(encoding="utf-8").splitlines()
    rng = random.Random(20261123)
    target = int(megabytes * 1_000_000)
    written = 0
    with output.open("w", encoding="utf-8", newline="\n") as f:
        while written < target:
            line = rng.choice(chinese) if rng.random() < 0.5 else rng.choice(english)
            if rng.random() < 0.125:
                line = line + " " + " ".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 4)))
            data = line + "\n"
            f.write(data)
            written += len(data.encode("utf-8"))


if __name__ == "__main__":
    main()
