"""Benchmark: Penwright's server against llama.cpp's server on the same GGUF, streaming clients.

    penwright-cli bench --serve [--clients 1,4,8] [--requests N] [--new-tokens N] [--threads N]
                                [--json PATH]

Each server runs as a child process on 127.0.0.1 (``penwright-cli serve`` with the default
model, int8 on the CPU as the app runs it, and ``python -m llama_cpp.server`` on the bundled
GGUF with the same thread count), one server at a time so they never share the CPU. After two
warm-up requests, for each client count C, C clients at once each send ``--requests`` streaming
greedy completions of ``--new-tokens`` tokens (each client its own prompt, so no prefix cache
serves another client). Figures per (server, C): aggregate tokens/s (all tokens over the wall
time of the round) and p50/p95 time to first token, measured by the client from sending the
request to its first text. Tokens are counted from the usage both servers report at the end of
the stream, or the chunks where a server reports none.

Neither server batches concurrent requests here (Penwright's owner runs one request at a time;
llama-cpp-python's server serves one completion at a time behind a lock, run here with
``--interrupt_requests False`` so a new request does not cut the streaming one short), so C
clients share one decode stream: what grows with C is the wait, seen in TTFT. Other processes
sharing the CPU make any single figure noisy: compare rows of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

PROMPT = (
    "Chapter {n}. The harbour town woke slowly that morning. Fishermen checked their nets, the "
    "baker opened his shutters, and somewhere up the hill a dog barked at the gulls. Client {n}"
    " wrote in her notebook that"
)


@dataclass
class Round:
    server: str
    clients: int
    requests: int
    tokens: int
    wall_s: float
    ttft_p50_s: float
    ttft_p95_s: float
    refused: int

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.wall_s if self.wall_s > 0 else 0.0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="penwright-cli bench --serve", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--clients", default="1,4,8", help="client counts, comma separated")
    parser.add_argument("--requests", type=int, default=2, help="requests per client per round")
    parser.add_argument("--new-tokens", type=int, default=32, help="tokens per request")
    parser.add_argument(
        "--threads", type=int, default=0, help="CPU threads of both servers (0: the CPU count)"
    )
    parser.add_argument("--servers", default="penwright,llama.cpp", help="which servers to run")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    clients = [int(c) for c in args.clients.split(",") if c.strip()]
    threads = args.threads or (os.cpu_count() or 1)
    rounds: list[Round] = []
    for server in [s.strip() for s in args.servers.split(",") if s.strip()]:
        port = _free_port()
        command = _command(server, port, threads)
        if command is None:
            print(f"{server}: skipped (llama-cpp-python's server is not installed)", flush=True)
            continue
        print(f"{server}: starting on port {port}", file=sys.stderr, flush=True)
        environment = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        child = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}/v1"
            model = _wait_ready(base, child)
            for warm_up in range(2):  # llama.cpp's first request after a start is slow
                _complete(base, model, PROMPT.format(n=f"warm-up {warm_up}"), args.new_tokens)
            for count in clients:
                rounds.append(_round(server, base, model, count, args.requests, args.new_tokens))
                print(_row(rounds[-1]), file=sys.stderr, flush=True)
        finally:
            child.terminate()
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
    print(format_table(rounds, threads, args.new_tokens))
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in rounds], indent=2), encoding="utf-8")
    return 0


def _command(server: str, port: int, threads: int) -> list[str] | None:
    if server == "penwright":
        return [sys.executable, "-m", "penwright.cli", "serve", "--port", str(port),
                "--device", "cpu", "--model-id", "bench", "--queue-size", "64"]  # fmt: skip
    if server == "llama.cpp":
        try:
            import llama_cpp.server  # noqa: F401  (its extra: fastapi, sse-starlette, ...)
        except ImportError:
            return None
        from penwright.benchmarks.llama_anchor import gguf_path

        return [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path("default")),
                "--model_alias", "bench", "--host", "127.0.0.1", "--port", str(port),
                "--n_threads", str(threads), "--n_threads_batch", str(threads),
                "--n_ctx", "4096", "--verbose", "False",
                # Its default lets each new request cut off the one streaming: serve them all.
                "--interrupt_requests", "False"]  # fmt: skip
    raise SystemExit(f"unknown server {server!r}: penwright or llama.cpp")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(base: str, child: subprocess.Popen[bytes], timeout_s: float = 600) -> str:
    ends = time.monotonic() + timeout_s
    while time.monotonic() < ends:
        if child.poll() is not None:
            raise SystemExit(f"the server exited with {child.returncode} before it was ready")
        try:
            with urllib.request.urlopen(base + "/models", timeout=5) as answer:
                return str(json.loads(answer.read())["data"][0]["id"])
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server was not ready in time")


def _complete(base: str, model: str, prompt: str, new_tokens: int) -> tuple[float, int]:
    """One streaming greedy completion: (seconds to the first text, tokens)."""
    body = {"model": model, "prompt": prompt, "max_tokens": new_tokens, "temperature": 0,
            "stream": True, "stream_options": {"include_usage": True}}  # fmt: skip
    asked = urllib.request.Request(
        base + "/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    started = time.perf_counter()
    first: float | None = None
    chunks = 0
    usage = None
    with urllib.request.urlopen(asked, timeout=600) as answer:
        for raw in answer:
            line = raw.decode("utf-8").strip()
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[len("data: ") :])
            if event.get("usage"):
                usage = event["usage"]
            if any(choice.get("text") for choice in event.get("choices", [])):
                chunks += 1
                if first is None:
                    first = time.perf_counter() - started
    tokens = int(usage["completion_tokens"]) if usage else chunks
    return (first if first is not None else time.perf_counter() - started), tokens


def _round(server: str, base: str, model: str, clients: int, requests: int, tokens: int) -> Round:
    ttfts: list[float] = []
    counted = [0]
    refused = [0]
    lock = threading.Lock()

    def client(number: int) -> None:
        for request in range(requests):
            prompt = PROMPT.format(n=f"{number}.{request}.{clients}")
            try:
                ttft, got = _complete(base, model, prompt, tokens)
            except OSError:
                with lock:
                    refused[0] += 1
                continue
            with lock:
                ttfts.append(ttft)
                counted[0] += got

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - started
    ttfts.sort()
    return Round(
        server=server,
        clients=clients,
        requests=len(ttfts),
        tokens=counted[0],
        wall_s=wall,
        ttft_p50_s=statistics.median(ttfts) if ttfts else 0.0,
        ttft_p95_s=_percentile(ttfts, 0.95),
        refused=refused[0],
    )


def _percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _row(r: Round) -> str:
    return (
        f"| {r.server:<10} | {r.clients:>7} | {r.requests:>8} | {r.tokens:>6} | "
        f"{r.tokens_per_s:>8.1f} | {r.ttft_p50_s * 1000:>9.0f} | {r.ttft_p95_s * 1000:>9.0f} | "
        f"{r.refused:>7} |"
    )


def format_table(rounds: list[Round], threads: int, new_tokens: int) -> str:
    """The figures as a Markdown table, Penwright's rows beside llama.cpp's."""
    lines = [
        f"Streaming clients, {new_tokens} greedy tokens per request, {threads} CPU threads per "
        "server, one server at a time; TTFT in ms",
        "",
        "| server     | clients | requests | tokens | tokens/s |  TTFT p50 |  TTFT p95 |  failed |",
        "|------------|--------:|---------:|-------:|---------:|----------:|----------:|--------:|",
    ]
    lines += [_row(r) for r in sorted(rounds, key=lambda r: (r.clients, r.server))]
    return "\n".join(lines)
