#!/usr/bin/env python3
"""PyTorch peer for benchmarks/quality.sh: charrnn's quality recipe, trained in eager PyTorch for a wall time.

The same model, data layout, schedule and regularisation as `charrnn train` with the recipe's flags:
Embedding(V, E) -> L single-layer LSTMs -> Linear(H, V); B streams x T steps laid out as charrnn's BatchLayout
(stream i holds the i-th contiguous K*T tokens of the training split), hidden state carried (detached) and reset
at each epoch; Adam, global-norm clipping, linear warm-up then cosine decay to a fraction of the rate. The
regularisation is AWD-LSTM's as charrnn implements it: DropConnect on each layer's W_hh (one mask per update),
locked dropout (one mask per stream and update) on the embedding's output, between layers and on the decoder's
input, embedding rows dropped per update. W_hh is passed masked to torch's own fused LSTM (torch._VF.lstm, what
nn.LSTM calls), so the recurrence runs at nn.LSTM's speed.

Validation is charrnn's: the last 10% of the characters, cut into up to B streams of T-step batches from a zero
state, the mean of the batch losses. Prints one JSON line per evaluation and, last, `val_loss=X` (the best). With
--eval-tokens N, as with charrnn's flag, the evaluations during training score the first N characters of the
validation text only; the weights that scored best are then scored on all of it, and that is X (what `charrnn
eval` of charrnn's best.safetensors on the whole validation text gives).

usage: pytorch_quality.py CORPUS --seconds S [--hidden 640] [--layers 2] [--embedding 64] [--batch 50] [--seq 100]
       [--lr 2e-3] [--warmup 200] [--decay-steps 7500] [--min-lr-factor 0.1] [--clip 5] [--weight-decay 0]
       [--dropout 0.2] [--input-dropout 0.1] [--output-dropout 0.2] [--weight-drop 0.3] [--embedding-dropout 0]
       [--eval-every 500] [--eval-tokens 0 (all)] [--threads 2] [--seed 1] [--min-count 1] [--max-steps 0 (no limit)]
"""
import argparse
import collections
import copy
import json
import math
import time
import unicodedata

import torch
import torch.nn.functional as F


def locked(x, p, training):
    """x (T, B, D) times a (1, B, D) mask of 0 or 1/(1-p): the same mask at every step."""
    if not training or p == 0:
        return x
    mask = x.new_empty(1, x.size(1), x.size(2)).bernoulli_(1 - p) / (1 - p)
    return x * mask


class Model(torch.nn.Module):
    def __init__(self, v, a):
        super().__init__()
        self.a = a
        self.embedding = torch.nn.Embedding(v, a.embedding)
        self.layers = torch.nn.ModuleList(
            torch.nn.LSTM(a.embedding if k == 0 else a.hidden, a.hidden) for k in range(a.layers))
        self.decoder = torch.nn.Linear(a.hidden, v)
        h = a.hidden
        with torch.no_grad():  # charrnn's forget-gate bias of 1 (bias_ih), 0 (bias_hh)
            for lstm in self.layers:
                lstm.bias_ih_l0[h:2 * h].fill_(1)
                lstm.bias_hh_l0[h:2 * h].fill_(0)

    def forward(self, ids, state):
        a, training = self.a, self.training
        weight = self.embedding.weight
        if training and a.embedding_dropout > 0:
            rows = weight.new_empty(weight.size(0), 1).bernoulli_(1 - a.embedding_dropout) / (1 - a.embedding_dropout)
            weight = weight * rows
        x = locked(F.embedding(ids, weight), a.input_dropout, training)
        new_state = []
        for k, lstm in enumerate(self.layers):
            if k > 0:
                x = locked(x, a.dropout, training)
            w_hh = lstm.weight_hh_l0
            if training and a.weight_drop > 0:
                w_hh = F.dropout(w_hh, a.weight_drop, training=True)
            weights = [lstm.weight_ih_l0, w_hh, lstm.bias_ih_l0, lstm.bias_hh_l0]
            x, h, c = torch._VF.lstm(x, state[k], weights, True, 1, 0.0, training, False, False)
            new_state.append((h, c))
        x = locked(x, a.output_dropout, training)
        return self.decoder(x), new_state


def zero_state(a, b):
    return [(torch.zeros(1, b, a.hidden), torch.zeros(1, b, a.hidden)) for _ in range(a.layers)]


def streams(ids, b, t):
    """charrnn's BatchLayout: inputs and targets (B, K*T), K batches per epoch."""
    k = (len(ids) - 1) // (b * t)
    return ids[: b * k * t].view(b, k * t), ids[1: b * k * t + 1].view(b, k * t), k


def validation_loss(model, ids, a):
    t = min(a.seq, len(ids) - 1)
    b = max(1, min(a.batch, (len(ids) - 1) // t))
    x, y, k = streams(ids, b, t)
    model.eval()
    total, state = 0.0, zero_state(a, b)
    with torch.no_grad():
        for j in range(k):
            logits, state = model(x[:, j * t:(j + 1) * t].t(), state)
            total += F.cross_entropy(logits.reshape(-1, logits.size(-1)), y[:, j * t:(j + 1) * t].t().reshape(-1)).item()
    model.train()
    return total / k


def main():
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("--seconds", type=float, required=True)
    for name, default in [("hidden", 640), ("layers", 2), ("embedding", 64), ("batch", 50), ("seq", 100),
                          ("warmup", 200), ("decay-steps", 7500), ("eval-every", 500), ("threads", 2), ("seed", 1),
                          ("min-count", 1), ("eval-tokens", 0), ("max-steps", 0)]:
        p.add_argument("--" + name, type=int, default=default)
    for name, default in [("lr", 2e-3), ("min-lr-factor", 0.1), ("clip", 5.0), ("weight-decay", 0.0),
                          ("dropout", 0.2), ("input-dropout", 0.1), ("output-dropout", 0.2), ("weight-drop", 0.3),
                          ("embedding-dropout", 0.0)]:
        p.add_argument("--" + name, type=float, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    # charrnn's defaults: NFC, and with --min-count the rarer characters share id 0 (<unk>). charrnn's units are
    # grapheme clusters; on these corpora (no combining marks left after NFC) they are the code points.
    text = unicodedata.normalize("NFC", open(a.corpus, encoding="utf-8").read())
    counts = collections.Counter(text)
    kept = sorted(c for c, n in counts.items() if n >= a.min_count)
    stoi = {c: i + (1 if len(kept) < len(counts) else 0) for i, c in enumerate(kept)}
    chars = ["<unk>"] * (len(kept) < len(counts)) + kept
    ids = torch.tensor([stoi.get(c, 0) for c in text], dtype=torch.long)
    split = int(len(ids) * 0.9)
    train, valid = ids[:split], ids[split:]
    probe = valid[:a.eval_tokens] if a.eval_tokens > 0 else valid
    x, y, k = streams(train, a.batch, a.seq)

    model = Model(len(chars), a)
    optimizer = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay) if a.weight_decay > 0 \
        else torch.optim.Adam(model.parameters(), lr=a.lr)

    def rate(step):
        if step < a.warmup:
            return a.lr * (step + 1) / a.warmup
        if step >= a.decay_steps:
            return a.lr * a.min_lr_factor
        progress = (step - a.warmup) / max(1, a.decay_steps - a.warmup)
        return a.lr * (a.min_lr_factor + 0.5 * (1 - a.min_lr_factor) * (1 + math.cos(math.pi * progress)))

    start, step, best, state = time.time(), 0, None, zero_state(a, a.batch)
    best_step, best_weights = 0, None

    def evaluate(record):
        nonlocal best, best_step, best_weights
        v = validation_loss(model, probe, a)
        if best is None or v < best:
            best, best_step = v, step
            if a.eval_tokens > 0:
                best_weights = copy.deepcopy(model.state_dict())
        print(json.dumps({"step": step, **record, "val_loss": v, "elapsed_seconds": round(time.time() - start, 1)}),
              flush=True)

    while time.time() - start < a.seconds and (a.max_steps == 0 or step < a.max_steps):
        j = step % k
        if j == 0:
            state = zero_state(a, a.batch)
        for group in optimizer.param_groups:
            group["lr"] = rate(step)
        logits, state = model(x[:, j * a.seq:(j + 1) * a.seq].t(), state)
        state = [(h.detach(), c.detach()) for h, c in state]
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y[:, j * a.seq:(j + 1) * a.seq].t().reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        optimizer.step()
        step += 1
        if step % a.eval_every == 0:
            evaluate({"train_loss": loss.item()})
    evaluate({"final": True})
    if a.eval_tokens > 0:
        model.load_state_dict(best_weights)
        best = validation_loss(model, valid, a)
        print(json.dumps({"best_step": best_step, "full_val_loss": best, "validation_characters": len(valid)}))
    print(f"val_loss={best:.4f}")


if __name__ == "__main__":
    main()
