"""What a long prompt does to the streams in flight on charrnn serve.

C streaming clients (--clients, default 8) each ask for --tokens (default 3000) tokens; once they are generating,
--long requests (default 3, one after another) each send a prompt of --prompt-chars characters (default 8000,
taken from --text) with max_tokens 1. The run reports the long requests' time to first token and, for the
streaming clients, the longest wait between two chunks and the 99th percentile: while a prompt is primed, does
anyone else wait? Repeats --rounds times on one server.

usage: python serve_long_prompt.py SERVE_BINARY MODEL --text FILE [--clients 8] [--tokens 3000] [--rounds 3]
"""

import argparse
import asyncio
import json
import statistics
import time

from serve_load import percentile, start_server, stream_request


async def round_(port, clients, tokens, long_prompt, longs, seed):
    """One round; returns (the long requests' seconds to first text, every gap between chunks of the streams)."""
    gaps, firsts = [], []

    async def client(c):
        body = {"model": "m", "prompt": "The ", "max_tokens": tokens, "stream": True, "seed": seed + c}
        status, _, _, chunk_gaps, _ = await stream_request(port, body)
        if status == 200:
            gaps.extend(chunk_gaps)

    async def long_requests():
        await asyncio.sleep(0.5)  # the streams are generating by now
        for i in range(longs):
            body = {"model": "m", "prompt": long_prompt, "max_tokens": 1, "stream": True, "seed": i}
            status, first, _, _, _ = await stream_request(port, body)
            if status != 200:
                raise SystemExit(f"the long prompt got status {status}")
            firsts.append(first)

    await asyncio.gather(long_requests(), *(client(c) for c in range(clients)))
    return firsts, gaps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("model")
    parser.add_argument("--text", required=True, help="where the long prompt comes from (text the model knows)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=3000)
    parser.add_argument("--prompt-chars", type=int, default=8000)
    parser.add_argument("--long", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with open(args.text, encoding="utf-8") as f:
        long_prompt = f.read(args.prompt_chars)
    server, port = start_server(args.binary, args.model, ["--threads", str(args.threads)])
    try:
        for r in range(args.rounds):
            started = time.perf_counter()
            firsts, gaps = asyncio.run(
                round_(port, args.clients, args.tokens, long_prompt, args.long, 1000 * r))
            print(json.dumps({
                "round": r, "seconds": round(time.perf_counter() - started, 2),
                "long_prompt_first_token_ms": [round(x * 1000, 1) for x in firsts],
                "stream_gap_max_ms": round(max(gaps) * 1000, 1),
                "stream_gap_p99_ms": round(percentile(gaps, 99) * 1000, 1),
                "stream_gap_p50_ms": round(statistics.median(gaps) * 1000, 1),
            }), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
