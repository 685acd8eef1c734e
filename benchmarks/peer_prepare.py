#!/usr/bin/env python3
"""The peer for the tokenizer benchmark: nanoGPT's data/shakespeare_char/prepare.py approach, written here.

Reads the whole file as a str, builds the vocabulary as the sorted set of its code points, counts them, and encodes
every character to a uint16 id through a dict, as nanoGPT does. usage: peer_prepare.py FILE
"""
import sys
from collections import Counter

import numpy as np

with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    data = f.read()
chars = sorted(set(data))
stoi = {ch: i for i, ch in enumerate(chars)}
counts = Counter(data)
ids = np.array([stoi[c] for c in data], dtype=np.uint16)
print(f"{len(data)} characters, {len(chars)} distinct, {ids.nbytes} bytes of ids, top {counts.most_common(1)}")
