#!/usr/bin/env python3
"""PyTorch reference for the sampling benchmark: generate tokens one at a time from an LSTM/GRU language model of
the same shape as charrnn's (random weights: speed does not depend on them), temperature 0.8, B streams at once.

usage: pytorch_sample.py [--vocab 65] [--embedding 64] [--hidden 512] [--layers 2] [--cell lstm] [--streams 1]
                         [--tokens 500] [--threads 1] [--onednn]
Prints one JSON line: tokens per second (all streams together).
"""
import argparse
import json
import time

import torch


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--vocab", type=int, default=65)
    p.add_argument("--embedding", type=int, default=64)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--cell", default="lstm", choices=["lstm", "gru"])
    p.add_argument("--streams", type=int, default=1)
    p.add_argument("--tokens", type=int, default=500)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--onednn", action="store_true", help="leave oneDNN on (PyTorch's default)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.backends.mkldnn.enabled = a.onednn
    torch.manual_seed(1)
    embedding = torch.nn.Embedding(a.vocab, a.embedding)
    rnn = (torch.nn.LSTM if a.cell == "lstm" else torch.nn.GRU)(a.embedding, a.hidden, num_layers=a.layers)
    decoder = torch.nn.Linear(a.hidden, a.vocab)
    token = torch.zeros(1, a.streams, dtype=torch.long)
    state = None
    with torch.no_grad():
        for step in range(a.tokens + 20):
            if step == 20:
                started = time.perf_counter()
            out, state = rnn(embedding(token), state)
            probs = torch.softmax(decoder(out[0]) / 0.8, dim=-1)
            token = torch.multinomial(probs, 1).t()
    seconds = time.perf_counter() - started
    print(json.dumps({"tokens_per_second": a.tokens * a.streams / seconds}))


if __name__ == "__main__":
    main()
