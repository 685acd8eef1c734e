"""Load on charrnn serve over loopback: streaming clients in asyncio, each timing its first text and every chunk.

For each concurrency C in --clients (default 1 8 32 64), C clients each send --requests-per-client streaming
requests one after another (max_tokens --tokens, a seed each), and the run reports the aggregate tokens/s, time to
first token (p50, p99), the time per token (p50, p99: each chunk's wait shared among its tokens) and the time
between chunks (p50, p99). Then --burst requests (default 1,000) at 64 concurrency, counting answers by status
(429s are the queue's bound working), and the server's RSS after warm-up and after the burst.

usage: python serve_load.py SERVE_BINARY MODEL [--threads 2] [--tokens 200] [--clients 1 8 32 64] [--rounds 3]
       [--serve-args "--stream-interval 5"]
Prints one line per measurement, and JSON lines with --json.
"""

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import time


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


TEXT = re.compile(rb'"text":"((?:[^"\\]|\\.)*)"')
ESCAPE = re.compile(rb'\\u[0-9a-fA-F]{4}|\\.')


def characters(events):
    """Characters of text in `events` (complete server-sent events), and how many of them carry text."""
    count, chunks = 0, 0
    for match in TEXT.finditer(events):
        if match.group(1):
            count += len(ESCAPE.sub(b"x", match.group(1)).decode("utf-8"))
            chunks += 1
    return count, chunks


async def stream_request(port, body):
    """One streaming request; returns (status, seconds to first text, per-token gaps, gaps between chunks with text,
    characters of text).

    A chunk may carry several tokens (charrnn serve --stream-interval): the time since the last chunk is divided
    among its characters (tokens of the character-level models benchmarked here)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = json.dumps(body).encode()
    writer.write(
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
    await writer.drain()
    start = time.perf_counter()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    first, last, gaps, chunk_gaps, total = None, None, [], [], 0
    buffer = b""
    while True:
        data = await reader.read(65536)
        if not data:
            break
        buffer += data
        now = time.perf_counter()
        end = buffer.rfind(b"\n\n")  # complete events only; the rest waits for the next read
        if end < 0:
            continue
        count, chunks = characters(buffer[:end])
        buffer = buffer[end + 2:]
        if count:
            if first is None:
                first = now - start
            elif last is not None:
                gaps += [(now - last) / count] * count
                chunk_gaps += [(now - last) / chunks] * chunks
            last = now
            total += count
    writer.close()
    return status, first, gaps, chunk_gaps, total


def start_server(binary, model, flags):
    """Starts `binary -m m=MODEL --port 0 FLAGS…` and returns (the process, the loopback port it printed)."""
    server = subprocess.Popen([binary, "-m", f"m={model}", "--port", "0"] + flags, stdout=subprocess.PIPE, text=True)
    return server, int(re.search(r"127\.0\.0\.1:(\d+)", server.stdout.readline()).group(1))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def concurrency_run(port, clients, per_client, tokens):
    ttft, gaps, chunk_gaps, total = [], [], [], 0

    async def client(c):
        nonlocal total
        for r in range(per_client):
            body = {"model": "m", "prompt": "The ", "max_tokens": tokens, "stream": True, "seed": c * 1000 + r}
            status, first, g, cg, count = await stream_request(port, body)
            if status == 200 and first is not None:
                ttft.append(first)
                gaps.extend(g)
                chunk_gaps.extend(cg)
                total += count

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    seconds = time.perf_counter() - start
    return total / seconds, ttft, gaps, chunk_gaps


async def burst(port, count, concurrency, tokens):
    statuses = {}
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i):
        async with semaphore:
            body = {"model": "m", "prompt": "A ", "max_tokens": tokens, "stream": True, "seed": i}
            try:
                status = (await stream_request(port, body))[0]
            except OSError as e:
                status = f"error {e.__class__.__name__}"
            statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(one(i) for i in range(count)))
    return statuses


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--max-streams", type=int, default=32)
    parser.add_argument("--max-queue", type=int, default=64)
    parser.add_argument("--serve-args", default="", help="more flags for the server, as one string")
    args = parser.parse_args()
    server, port = start_server(
        args.binary, args.model,
        ["--threads", str(args.threads), "--max-streams", str(args.max_streams), "--max-queue", str(args.max_queue)]
        + args.serve_args.split())
    try:
        asyncio.run(concurrency_run(port, 4, 2, args.tokens))  # warm-up
        warm = rss_kib(server.pid)
        for clients in args.clients:
            rates, ttfts, gaps, chunk_gaps = [], [], [], []
            for _ in range(args.rounds):
                rate, ttft, gap, chunk_gap = asyncio.run(
                    concurrency_run(port, clients, 2 if clients <= 8 else 1, args.tokens))
                rates.append(rate)
                ttfts += ttft
                gaps += gap
                chunk_gaps += chunk_gap
            print(f"clients={clients}: {statistics.median(rates):,.0f} tokens/s "
                  f"({min(rates):,.0f}–{max(rates):,.0f} over {args.rounds} rounds); "
                  f"time to first token p50 {percentile(ttfts, 50) * 1000:.1f} ms, p99 {percentile(ttfts, 99) * 1000:.1f} ms; "
                  f"per token p50 {percentile(gaps, 50) * 1000:.2f} ms, p99 {percentile(gaps, 99) * 1000:.2f} ms; "
                  f"between chunks p50 {percentile(chunk_gaps, 50) * 1000:.2f} ms, "
                  f"p99 {percentile(chunk_gaps, 99) * 1000:.2f} ms",
                  flush=True)
        statuses = asyncio.run(burst(port, args.burst, 64, args.tokens))
        after = rss_kib(server.pid)
        print(f"burst of {args.burst} at 64 concurrent: {statuses}; RSS after warm-up {warm / 1024:.1f} MiB, "
              f"after the burst {after / 1024:.1f} MiB ({(after / warm - 1) * 100:+.1f}%)", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
