#!/usr/bin/env python3
"""Does a Chinese model write the form of a classical poem? Samples it primed with a title line and measures.

Runs `charrnn sample` N times (seeds 1..N) primed with a title and author line in the corpus's format, keeps the
lines after the prime up to the first blank line (one poem), splits each line at the punctuation (，。？！；、：)
and counts:
  clauses  the share of clauses of exactly five or seven characters (the lengths of Tang shi);
  lines    the share of lines whose clauses all have five, or all have seven, characters.
Song ci mix clause lengths by design, so `lines` is a floor for what a model of the whole corpus should reach.

usage: poem_form.py MODEL [--samples 50] [--charrnn .build/release/charrnn] [--temperature 0.8] [--length 120]
"""
import argparse
import json
import re
import subprocess
from pathlib import Path

PRIMES = ["《春夜》\n作者：李白\n", "《山行》\n作者：杜牧\n", "《秋思》\n作者：王维\n", "《江上》\n作者：杜甫\n",
          "《送别》\n作者：王昌龄\n"]
PUNCTUATION = "，。？！；、："


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--samples", type=int, default=50)
    p.add_argument("--charrnn", default=str(Path(__file__).resolve().parent.parent / ".build/release/charrnn"))
    p.add_argument("--temperature", type=float, default=0.8)
    p.add_argument("--length", type=int, default=120)
    a = p.parse_args()
    clauses = good_clauses = lines = good_lines = 0
    for seed in range(1, a.samples + 1):
        prime = PRIMES[seed % len(PRIMES)]
        out = subprocess.run(
            [a.charrnn, "sample", "-m", a.model, "--seed", str(seed), "--temperature", str(a.temperature),
             "--length", str(a.length), "--no-echo-prime"], input=prime, capture_output=True, text=True, check=True
        ).stdout
        poem = out.split("\n\n")[0]
        rows = poem.split("\n")
        if "\n\n" not in out and not out.endswith("\n"):
            rows = rows[:-1]  # the sample stopped at its length inside this line
        for line in rows:
            line = line.strip()
            if not line:
                continue
            parts = [c for c in re.split("[" + PUNCTUATION + "]", line) if c]
            if not parts:
                continue
            lengths = {len(c) for c in parts}
            clauses += len(parts)
            good_clauses += sum(1 for c in parts if len(c) in (5, 7))
            lines += 1
            good_lines += lengths in ({5}, {7})
    print(json.dumps({
        "model": a.model, "samples": a.samples, "temperature": a.temperature, "lines": lines, "clauses": clauses,
        "five_or_seven_clauses": round(good_clauses / max(1, clauses), 3),
        "regular_lines": round(good_lines / max(1, lines), 3),
    }))


if __name__ == "__main__":
    main()
