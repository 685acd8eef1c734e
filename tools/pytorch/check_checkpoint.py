#!/usr/bin/env python3
"""Check that a charrnn checkpoint is a PyTorch model.

Reads a charrnn checkpoint (a safetensors file), builds the equivalent
torch.nn.Module -- `embedding` (nn.Embedding), `rnn` (nn.LSTM / nn.GRU /
nn.RNN), `decoder` (nn.Linear) -- loads the model's tensors into it with
`load_state_dict(strict=True)`, and scores a text file as one stream from a
zero state: the mean cross-entropy in nats of predicting each token from the
ones before it. With --compare it also runs `charrnn eval --json` on the same
checkpoint and text and fails (exit 1) if the two losses differ by more than
--tolerance nats/token (default 1e-5).

The safetensors file is parsed here directly (no `safetensors` package):
a little-endian u64 header length N, N bytes of JSON header, then the data.

Tokenization: only texts whose characters are each one grapheme are accepted
(in NFC, no combining marks, joiners, variation selectors, regional
indicators, Hangul jamo or "\\r\\n"), so that one code point is one token;
characters outside the vocabulary map to id 0 (<unk>), as in charrnn.

With --validation CORPUS it instead recomputes the validation loss that
training recorded in the checkpoint (training_state.lastValidationLoss) from
the weights alone: the corpus's last validationFraction of characters (the
split rule of charrnn and nanoGPT), cut as charrnn's validation cuts it (up to
batchSize streams of sequenceLength-step batches, each stream from a zero
state, at most evaluationTokens tokens), the mean of the batch losses; it fails
if the two differ by more than --tolerance.

Usage: python3 check_checkpoint.py [--compare] [--charrnn PATH] [--tolerance T] CHECKPOINT TEXTFILE
       python3 check_checkpoint.py --validation CORPUS [--tolerance T] CHECKPOINT
"""
import argparse
import json
import math
import struct
import subprocess
import sys
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F

# The release build of the checkout this script sits in.
DEFAULT_CHARRNN = str(__import__("pathlib").Path(__file__).resolve().parents[2] / ".build" / "release" / "charrnn")
TOLERANCE = 1e-5


def read_safetensors(path):
    """Return (tensors by name, metadata dict) of a safetensors file with F32 tensors."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_length])
    metadata = header.pop("__metadata__", {})
    data = memoryview(blob)[8 + header_length:]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {info['dtype']} is not F32")
        begin, end = info["data_offsets"]
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32)
        tensors[name] = flat.reshape(info["shape"])
    return tensors, metadata


class CharRNN(nn.Module):
    """charrnn's model under PyTorch's names: embedding -> rnn -> decoder."""

    CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}

    def __init__(self, config):
        super().__init__()
        V, E, H = config["vocabularySize"], config["embeddingSize"], config["hiddenSize"]
        self.embedding = nn.Embedding(V, E)
        cell = self.CELLS[config["cell"]]
        extra = {"nonlinearity": "tanh"} if config["cell"] == "rnn" else {}
        self.rnn = cell(input_size=E, hidden_size=H, num_layers=config["layers"],
                        dropout=config.get("dropout", 0), batch_first=False, **extra)
        self.decoder = nn.Linear(H, V)

    def forward(self, ids):  # ids: (T, B) -> logits (T, B, V), from a zero state
        output, _ = self.rnn(self.embedding(ids))
        return self.decoder(output)


def encode(text, vocabulary):
    """Map each character to its id (tokens[i] has id i+1; 0 is <unk>). Returns (ids, unknown count)."""
    def joins(c):  # a code point that can be part of a longer grapheme cluster
        o = ord(c)
        return (unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Mc") or o in (0x200C, 0x200D)
                or 0xFE00 <= o <= 0xFE0F or 0x1F1E6 <= o <= 0x1F1FF or 0x1100 <= o <= 0x11FF
                or 0xE0100 <= o <= 0xE01EF)
    if text != unicodedata.normalize("NFC", text) or "\r\n" in text or any(joins(c) for c in text):
        raise SystemExit("error: this check accepts only NFC text whose code points are each one grapheme "
                         "(no combining marks, joiners, variation selectors, regional indicators, jamo or \\r\\n)")
    ids_by_token = {token: i + 1 for i, token in enumerate(vocabulary["tokens"])}
    unknown_id = vocabulary["unknown"]["id"]
    ids = [ids_by_token.get(c, unknown_id) for c in text]
    return ids, sum(1 for c in text if c not in ids_by_token)


def score(checkpoint, textfile):
    """Mean cross-entropy (nats) of predicting token t+1 from tokens <= t, and the number of predictions."""
    tensors, metadata = read_safetensors(checkpoint)
    config = json.loads(metadata["model"])
    vocabulary = json.loads(metadata["vocabulary"])
    if vocabulary.get("format") != "charrnn-vocabulary":
        raise SystemExit("error: metadata 'vocabulary' is not a charrnn vocabulary")
    model = CharRNN(config)
    state = {k: v for k, v in tensors.items() if not k.startswith(("optimizer.", "state."))}
    model.load_state_dict(state, strict=True)
    model.eval()

    with open(textfile, encoding="utf-8") as f:
        text = f.read()
    ids, unknown = encode(text, vocabulary)
    if len(ids) < 2:
        raise SystemExit("error: scoring needs at least 2 tokens")
    if len(vocabulary["tokens"]) + 1 != config["vocabularySize"]:
        raise SystemExit("error: vocabulary size does not match the model")
    x = torch.tensor(ids, dtype=torch.long).unsqueeze(1)  # (T, 1): one stream
    with torch.no_grad():
        logits = model(x[:-1]).squeeze(1)  # (T-1, V)
        loss = F.cross_entropy(logits.double(), x[1:, 0], reduction="sum").item()
    n = len(ids) - 1
    return {"cell": config["cell"], "nats_per_token": loss / n, "predictions": n, "unknown_tokens": unknown}


def load(checkpoint):
    """The model with the checkpoint's weights (strict), and its metadata."""
    tensors, metadata = read_safetensors(checkpoint)
    model = CharRNN(json.loads(metadata["model"]))
    model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith(("optimizer.", "state."))}, strict=True)
    model.eval()
    return model, metadata


def validation(checkpoint, corpus):
    """The validation loss training recorded, and the same recomputed here from the weights alone."""
    model, metadata = load(checkpoint)
    training = json.loads(metadata["training_config"])
    recorded = json.loads(metadata["training_state"]).get("lastValidationLoss")
    with open(corpus, encoding="utf-8") as f:
        ids, _ = encode(f.read(), json.loads(metadata["vocabulary"]))
    start = int(len(ids) * (1 - training["validationFraction"]))  # CorpusSplit: train = floor(n * (1 - f))
    tokens = ids[start:]
    if training.get("evaluationTokens"):
        tokens = tokens[:training["evaluationTokens"]]
    t = min(training["sequenceLength"], len(tokens) - 1)
    b = max(1, min(training["batchSize"], (len(tokens) - 1) // t))
    k = (len(tokens) - 1) // (b * t)  # BatchLayout: B streams of K*T consecutive tokens
    x = torch.tensor(tokens[:b * k * t], dtype=torch.long).view(b, k * t)
    y = torch.tensor(tokens[1:b * k * t + 1], dtype=torch.long).view(b, k * t)
    total, state = 0.0, None
    with torch.no_grad():
        for j in range(k):
            output, state = model.rnn(model.embedding(x[:, j * t:(j + 1) * t].t()), state)
            logits = model.decoder(output).double()
            total += F.cross_entropy(logits.reshape(-1, logits.size(-1)), y[:, j * t:(j + 1) * t].t().reshape(-1)).item()
    return recorded, total / k


def charrnn_eval(charrnn, checkpoint, textfile):
    output = subprocess.run([charrnn, "eval", "-m", checkpoint, textfile, "--json"],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("textfile", nargs="?")
    parser.add_argument("--validation", metavar="CORPUS", help="recompute the recorded validation loss")
    parser.add_argument("--compare", action="store_true", help="also run `charrnn eval --json` and compare")
    parser.add_argument("--charrnn", default=DEFAULT_CHARRNN, help="charrnn executable (default: %(default)s)")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE,
                        help="largest difference in nats/token accepted (default: %(default)s)")
    args = parser.parse_args()
    torch.set_num_threads(1)

    if args.validation:
        recorded, recomputed = validation(args.checkpoint, args.validation)
        ok = recorded is not None and abs(recorded - recomputed) <= args.tolerance
        print(json.dumps({"checkpoint": args.checkpoint, "recorded_val_loss": recorded,
                          "pytorch_val_loss": recomputed, "tolerance": args.tolerance, "match": ok}))
        return 0 if ok else 1
    if args.textfile is None:
        parser.error("TEXTFILE is required without --validation")
    result = score(args.checkpoint, args.textfile)
    if not args.compare:
        print(json.dumps({"nats_per_token": result["nats_per_token"], "predictions": result["predictions"]}))
        return 0
    reference = charrnn_eval(args.charrnn, args.checkpoint, args.textfile)
    difference = abs(result["nats_per_token"] - reference["nats_per_token"])
    ok = difference <= args.tolerance and reference["predictions"] == result["predictions"]
    print(json.dumps({
        "checkpoint": args.checkpoint, "cell": result["cell"], "torch": torch.__version__,
        "pytorch": {"nats_per_token": result["nats_per_token"], "predictions": result["predictions"]},
        "charrnn": {"nats_per_token": reference["nats_per_token"], "predictions": reference["predictions"]},
        "difference": difference, "tolerance": args.tolerance, "match": ok,
    }))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
