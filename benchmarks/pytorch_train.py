#!/usr/bin/env python3
"""PyTorch reference for the training benchmark: the same model and loop as `charrnn train`, in eager PyTorch.

Embedding(V, E) -> nn.LSTM/GRU(E, H, L) -> Linear(H, V), cross-entropy on the next character, Adam, global-norm
clipping at 5, B streams x T steps laid out as charrnn lays them out, hidden state carried (detached). Prints one
JSON line: characters per second over the timed steps (after warm-up) and peak RSS.

usage: pytorch_train.py CORPUS [--cell lstm] [--layers 2] [--hidden 512] [--embedding 64] [--batch 50] [--seq 50]
                        [--steps 30] [--warmup 3] [--threads 2]
"""
import argparse
import json
import resource
import time

import torch


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--embedding", type=int, default=64)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--seq", type=int, default=50)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)

    text = open(a.corpus, encoding="utf-8").read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([stoi[c] for c in text[: int(len(text) * 0.9)]], dtype=torch.long)
    v = len(chars)
    b, t = a.batch, a.seq
    k = (len(ids) - 1) // (b * t)
    x = ids[: b * k * t].view(b, k * t)
    y = ids[1 : b * k * t + 1].view(b, k * t)

    rnn_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[a.cell]

    class Model(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(v, a.embedding)
            self.rnn = rnn_class(a.embedding, a.hidden, num_layers=a.layers)
            self.decoder = torch.nn.Linear(a.hidden, v)

        def forward(self, inputs, state):
            out, state = self.rnn(self.embedding(inputs), state)
            return self.decoder(out), state

    model = Model()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    state = None
    started = None
    for step in range(a.warmup + a.steps):
        if step == a.warmup:
            started = time.perf_counter()
        j = step % k
        inputs = x[:, j * t : (j + 1) * t].t().contiguous()  # (T, B), time-major like charrnn
        targets = y[:, j * t : (j + 1) * t].t().contiguous()
        logits, state = model(inputs, state)
        state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        loss = torch.nn.functional.cross_entropy(logits.view(-1, v), targets.view(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"chars_per_second": a.steps * b * t / seconds, "peak_rss_kib": rss, "loss": loss.item()}))


if __name__ == "__main__":
    main()
