"""Benchmark: the engine against the naive baseline and llama.cpp on a ~2,000-token document.

    penwright-cli bench [--precision fp32,bf16,int8] [--device cpu|cuda] [--json PATH]
                        [--include-first-load] [--new-tokens N] [--requests N] [--threads N]
                        [--rounds N] [--no-perplexity]

Baseline: plain ``model.generate``, re-encoding the whole document for every request, in fp32 on
the CPU and bf16 on a GPU (each device's plain precision). Engine:
``models.generation.engine.Engine`` loaded by ``Engine.load`` as the app loads it (int8 applied
by loading, warm-up included in the load time), with its prefix KV cache, once per precision.
For each it measures load time, time to first token on the document cold (nothing of it
cached), time to first token after appending one sentence, decode tokens/s, peak RSS and
(engine) how soon a cancel leaves the worker idle, during prefill and during decode; then it
prints a table with engine/baseline ratios and optionally writes JSON.

Anchors, so every figure stands next to them on whatever machine runs it: the CPU line first
(its model and the flags that decide kernels), and llama.cpp on the same GGUF, document and
thread count (benchmarks.llama_anchor) when llama-cpp-python is installed. Engine and llama.cpp
alternate over ``--rounds`` rounds (engine, llama.cpp, engine, llama.cpp, ...) so their decode
ratio is measured side by side; rounds after the first measure speed only. Quality beside
speed: held-out perplexity of each precision, and of llama.cpp, on the shipped English and
Chinese stories (benchmarks.perplexity_texts).

Each configuration runs in its own child process, so its peak RSS is its own and one model's
leftovers cannot slow the next. Figures are medians over ``--requests`` requests. Other processes
sharing the CPU make any single figure noisy: compare rows of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from penwright.benchmarks.bench_figures import BASELINE, ENGINE, ENGINE_EAGER, Figures
from penwright.benchmarks.bench_table import anchor_ratios, format_table, ratios
from penwright.models.spec import PRECISIONS as SPEC_PRECISIONS

__all__ = ["PRECISIONS", "Figures", "format_table", "main"]

RESULT_PREFIX = "PENWRIGHT_BENCH_RESULT "
CANCEL_DELAYS = (0.30, 0.37, 0.44, 0.51, 0.58)  # s into a request; spread over a chunk or step
PRECISIONS = tuple(p for p in SPEC_PRECISIONS if p != "auto")
"""The engine precisions a run can measure: whatever the loader accepts, "auto" aside."""


# ---------------------------------------------------------------------------------------------
# Command line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="penwright-cli bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--model", default="default", help="'default', a folder, a .gguf, a hub id")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument(
        "--precision",
        default=None,
        help="engine precisions, comma separated (default: fp32,int8 on cpu, bf16 on cuda)",
    )
    parser.add_argument("--doc-tokens", type=int, default=1950, help="document length in tokens")
    parser.add_argument("--new-tokens", type=int, default=32, help="tokens per request")
    parser.add_argument("--requests", type=int, default=3, help="appended-sentence requests")
    parser.add_argument("--no-baseline", action="store_true", help="measure the engine only")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="rounds of engine then llama.cpp, alternating, for their decode ratio side by side",
    )
    parser.add_argument(
        "--no-perplexity", action="store_true", help="skip held-out perplexity (speed only)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="CPU threads of every configuration, llama.cpp's too (0: torch's default, one per "
        "core); 1 gives steadier figures when other processes share the cores, since a 2-thread "
        "team stalls when one is preempted",
    )
    parser.add_argument(
        "--include-first-load",
        action="store_true",
        help="also time the first load (GGUF conversion) into a temporary cache folder",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, default=1, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.child is not None:
        return _run_child(args)
    if args.precision is None:
        args.precision = "bf16" if args.device == "cuda" else "fp32,int8"
    precisions = [p.strip() for p in args.precision.split(",") if p.strip()]
    unknown = [p for p in precisions if p not in PRECISIONS]
    if unknown or not precisions:
        print(
            f"bench: unknown precision {unknown}: choose from {', '.join(PRECISIONS)}",
            file=sys.stderr,
        )
        return 2
    if (
        args.requests < 1
        or args.new_tokens < 2
        or args.doc_tokens < 16
        or args.threads < 0
        or args.rounds < 1
    ):
        print(
            "bench: --requests >= 1, --new-tokens >= 2, --doc-tokens >= 16, --threads >= 0, "
            "--rounds >= 1",
            file=sys.stderr,
        )
        return 2

    from penwright.benchmarks.llama_anchor import skip_reason
    from penwright.models.loading.cpu_features import cpu_features

    print(f"cpu: {cpu_features().describe()}", flush=True)
    args.threads = _resolved_threads(args.threads)
    llama_skipped = skip_reason(args.model, args.device)
    print(
        f"threads: {args.threads} (every configuration); llama.cpp: "
        + (f"skipped: {llama_skipped}" if llama_skipped else "on the same GGUF, in this run"),
        flush=True,
    )

    first_load_s = _first_load(args) if args.include_first_load else None
    configs = [] if args.no_baseline else [(f"baseline:{_baseline_precision(args.device)}", 1)]
    for number in range(1, (args.rounds if llama_skipped is None else 1) + 1):
        configs += [(f"engine:{p}", number) for p in precisions]
        if args.device == "cuda" and number == 1:
            # The engine without its static cache and CUDA graph: what compiling the step buys.
            configs += [(f"engine-eager:{p}", number) for p in precisions]
        if llama_skipped is None:
            configs.append(("llama", number))
    results: list[Figures] = []
    for config, number in configs:
        figures = _measure(args, config, number)
        if figures is None:
            return 1
        figures.first_load_s = first_load_s
        results.append(figures)

    print(format_table(results))
    if args.json is not None:
        report = _report(args, results, llama_skipped)
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(f"bench: figures written to {args.json}", file=sys.stderr)
    return 0


def _measure(args: argparse.Namespace, config: str, number: int) -> Figures | None:
    """One configuration's figures in round ``number``, from its own child process."""
    print(
        f"bench: round {number}: measuring {config} on {args.device} ...",
        file=sys.stderr,
        flush=True,
    )
    figures = _in_child(args, config, number=number)
    if isinstance(figures, Figures):
        figures.round = number
        print(
            f"bench: round {number}: {figures.label}: decode "
            f"{figures.decode_tokens_per_s:.1f} tok/s, TTFT cold {figures.ttft_cold_s:.3f} s",
            file=sys.stderr,
            flush=True,
        )
    return figures


def _resolved_threads(threads: int) -> int:
    """--threads, 0 made the count torch would use, so that llama.cpp gets the same count."""
    if threads > 0:
        return threads
    import torch

    return int(torch.get_num_threads())


def _baseline_precision(device: str) -> str:
    return "bf16" if device == "cuda" else "fp32"


def _in_child(
    args: argparse.Namespace, config: str, env: dict[str, str] | None = None, number: int = 1
) -> Any:
    argv = [
        sys.executable,
        "-m",
        "penwright.benchmarks.bench",
        "--child",
        config,
        "--model",
        args.model,
        "--device",
        args.device,
        "--doc-tokens",
        str(args.doc_tokens),
        "--new-tokens",
        str(args.new_tokens),
        "--requests",
        str(args.requests),
        "--threads",
        str(args.threads),
        "--round",
        str(number),
    ]
    if args.no_perplexity:
        argv.append("--no-perplexity")
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            payload = json.loads(line[len(RESULT_PREFIX) :])
            return Figures(**payload) if "name" in payload else payload
    tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
    print(f"bench: {config} failed (exit {proc.returncode}):\n{tail}", file=sys.stderr)
    return None


def _first_load(args: argparse.Namespace) -> float | None:
    from penwright.models.files.folders import CACHE_DIR_ENV

    with tempfile.TemporaryDirectory(prefix="penwright-bench-cache-") as cache:
        print("bench: first load (conversion into an empty cache) ...", file=sys.stderr)
        payload = _in_child(args, "first-load", env={**os.environ, CACHE_DIR_ENV: cache})
    return None if payload is None else float(payload["first_load_s"])


# ---------------------------------------------------------------------------------------------
# Children: one configuration each


def _run_child(args: argparse.Namespace) -> int:
    kind, _, precision = args.child.partition(":")
    if kind == "llama":  # no torch in this process: llama.cpp's peak RSS is its own
        print(RESULT_PREFIX + json.dumps(asdict(_measure_llama(args))), flush=True)
        return 0
    if args.threads > 0:
        import torch

        torch.set_num_threads(args.threads)
    if kind == "first-load":
        payload: dict[str, Any] = {"first_load_s": _timed_load(args, "auto")[1]}
    elif kind == "baseline":
        payload = asdict(_measure_baseline(args, precision))
    else:
        payload = asdict(_measure_engine(args, precision, eager=kind == "engine-eager"))
    print(RESULT_PREFIX + json.dumps(payload), flush=True)
    return 0


def _timed_load(args: argparse.Namespace, precision: str) -> tuple[Any, float]:
    from penwright.models.loading.loader import load_model
    from penwright.models.spec import ModelSpec

    started = time.perf_counter()
    loaded = load_model(ModelSpec(source=args.model, device=args.device, precision=precision))
    return loaded, time.perf_counter() - started


def _document(tokenizer: Any, args: argparse.Namespace) -> str:
    from penwright.benchmarks.document import build_document

    return build_document(lambda text: len(tokenizer(text)["input_ids"]), args.doc_tokens)


def _appended(document: str, request: int) -> str:
    from penwright.benchmarks.document import APPENDED_SENTENCES

    sentences = [APPENDED_SENTENCES[i % len(APPENDED_SENTENCES)] for i in range(request + 1)]
    return document + " " + " ".join(sentences)


def _held_out(args: argparse.Namespace) -> dict[str, str] | None:
    """The texts to score perplexity on (language -> text): in round 1 only, since later rounds
    measure speed, and not with --no-perplexity."""
    if args.no_perplexity or args.round > 1:
        return None
    from penwright.benchmarks.perplexity_texts import LANGUAGES, held_out_text

    return {language: held_out_text(language) for language in LANGUAGES}


def _measure_llama(args: argparse.Namespace) -> Figures:
    from penwright.benchmarks.document import build_document
    from penwright.benchmarks.llama_anchor import measure_llama

    return measure_llama(
        args.model,
        doc_tokens=args.doc_tokens,
        document_for=lambda count_tokens: build_document(count_tokens, args.doc_tokens),
        appended=_appended,
        new_tokens=args.new_tokens,
        requests=args.requests,
        threads=args.threads,
        held_out=_held_out(args),
        peak_rss_mb=_peak_rss_mb,
    )


def _measure_baseline(args: argparse.Namespace, precision: str) -> Figures:
    """Plain generate: every request encodes and prefills the whole document again."""
    import torch
    from transformers import LogitsProcessorList

    loaded, load_s = _timed_load(args, precision)
    model, tokenizer = loaded.model, loaded.tokenizer
    device = model.device

    def request(text: str) -> tuple[float, float, int]:
        stamps: list[float] = []

        def stamp(input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
            # Called once per new token, after its forward pass: the first call marks the end of
            # the prefill, the gaps between calls are decode steps.
            if device.type == "cuda":
                torch.cuda.synchronize()
            stamps.append(time.perf_counter())
            return scores

        started = time.perf_counter()
        ids = tokenizer(text, return_tensors="pt").to(device)
        with torch.inference_mode():
            model.generate(
                **ids,
                max_new_tokens=args.new_tokens,
                min_new_tokens=args.new_tokens,
                do_sample=False,
                logits_processor=LogitsProcessorList([stamp]),
            )
        decode_rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
        return stamps[0] - started, decode_rate, int(ids["input_ids"].shape[1])

    document = _document(tokenizer, args)
    request("Once upon a time")  # warm-up: one-time kernel set-up is not what we measure
    cold, cold_rate, prompt_tokens = request(document)
    appends = [request(_appended(document, i)) for i in range(args.requests)]
    notes: list[str] = []
    _note_gpu_memory(notes)
    return Figures(
        name=BASELINE,
        precision=precision,
        device=str(device),
        load_s=load_s,
        ttft_cold_s=cold,
        ttft_append_s=statistics.median(a[0] for a in appends),
        decode_tokens_per_s=statistics.median([cold_rate, *(a[1] for a in appends)]),
        peak_rss_mb=_peak_rss_mb(),
        prompt_tokens=prompt_tokens,
        notes=notes,
    )


def _measure_engine(args: argparse.Namespace, precision: str, eager: bool = False) -> Figures:
    """The engine, as the app uses it: load, then stream requests that share the prefix cache.
    In round 1 also the sampled decode, cancel latencies and held-out perplexity.

    ``eager``: without the GPU path's static cache and compiled step (decodes as on the CPU)."""
    from penwright.models.generation.engine import Engine
    from penwright.models.params import LIMITS, GenerationParams, StopMode
    from penwright.models.spec import ModelSpec

    notes: list[str] = []
    engine = Engine()
    started = time.perf_counter()
    spec = ModelSpec(source=args.model, device=args.device, precision=precision)
    info = engine.load(spec, static_cache=False if eager else None)
    load_s = time.perf_counter() - started
    if args.device == "cuda":
        notes.append(f"decode path: {info.decode_path}")
    if precision == "int8" and not _is_int8(engine.model):
        notes.append("loading did not quantize: these are not int8 figures")
    params = GenerationParams(temperature=0.0, max_new_tokens=args.new_tokens, stop=StopMode.NONE)

    def request(text: str, request_params: GenerationParams = params) -> Any:
        for _ in engine.stream(text, request_params):
            pass
        return engine.last_stats

    document = _document(engine.tokenizer, args)
    request("Once upon a time")  # as for the baseline; the cache now holds nothing of the document
    cold = request(document)
    appends = [request(_appended(document, i)) for i in range(args.requests)]
    figures = Figures(
        name=ENGINE_EAGER if eager else ENGINE,
        precision=precision,
        device=info.device,
        load_s=load_s,
        ttft_cold_s=cold.time_to_first_token_s,
        ttft_append_s=statistics.median(a.time_to_first_token_s for a in appends),
        decode_tokens_per_s=statistics.median(s.decode_tokens_per_s for s in [cold, *appends]),
        peak_rss_mb=0.0,  # taken below, once everything the app would do has been done
        prompt_tokens=cold.prompt_tokens,
        reused_tokens=int(statistics.median(a.reused_tokens for a in appends)),
        notes=notes,
    )
    if args.round == 1:  # later rounds only pair decode speed with llama.cpp's
        # The app samples by default (top-k, top-p): this measures the sampler's share too.
        sampling = GenerationParams(max_new_tokens=args.new_tokens, stop=StopMode.NONE, seed=0)
        sampled = request(_appended(document, args.requests - 1), sampling)
        figures.sampled_tokens_per_s = sampled.decode_tokens_per_s
        # A new first word: nothing of this document is cached, so the cancel lands in prefill.
        in_prefill = [
            _cancel_latency(engine, f"Then{i} {document}", params, delay)
            for i, delay in enumerate(CANCEL_DELAYS)
        ]
        # The document cached first: each request below reuses it and is decoding when cancelled.
        request(document)
        longest = LIMITS["max_new_tokens"].whole_bounds()[1]
        long_params = GenerationParams(temperature=0.0, max_new_tokens=longest, stop=StopMode.NONE)
        in_decode = [
            _cancel_latency(engine, document, long_params, delay) for delay in CANCEL_DELAYS
        ]
        figures.cancel_prefill_ms = _median_and_worst_ms(in_prefill)
        figures.cancel_decode_ms = _median_and_worst_ms(in_decode)
    _note_gpu_memory(notes)
    figures.peak_rss_mb = _peak_rss_mb()  # before perplexity: its window logits are not the app's
    texts = _held_out(args)
    if texts is not None:
        _engine_perplexity(engine, figures, texts)
    return figures


def _engine_perplexity(engine: Any, figures: Figures, texts: dict[str, str]) -> None:
    """Held-out perplexity of the engine's model as loaded (its precision), into ``figures``."""
    from penwright.models.generation.perplexity import evaluate_perplexity

    for language, text in texts.items():
        result = evaluate_perplexity(engine.model, engine.tokenizer(text)["input_ids"])
        figures.perplexity[language] = result.perplexity
        figures.perplexity_tokens[language] = result.tokens


def _cancel_latency(engine: Any, text: str, params: Any, after_s: float) -> float | None:
    """Seconds from setting the cancel Event (from another thread, as the GUI does) ``after_s``
    into a request until its generator has finished: how soon the worker is idle again. None
    if the request finished first."""
    cancelled = threading.Event()
    set_at: list[float] = []

    def cancel() -> None:
        set_at.append(time.perf_counter())
        cancelled.set()

    timer = threading.Timer(after_s, cancel)
    timer.start()
    for _ in engine.stream(text, params, cancelled):
        pass
    done = time.perf_counter()
    timer.cancel()
    timer.join()
    return done - set_at[0] if set_at and set_at[0] < done else None


def _median_and_worst_ms(seconds: list[float | None]) -> tuple[float, float] | None:
    measured = [s for s in seconds if s is not None]
    return (1000 * statistics.median(measured), 1000 * max(measured)) if measured else None


def _note_gpu_memory(notes: list[str]) -> None:
    import torch

    if torch.cuda.is_available() and torch.cuda.max_memory_allocated() > 0:
        notes.append(f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**20:.0f} MB")


def _is_int8(model: Any) -> bool:
    from penwright.models.loading.quantize import Int8Linear

    return any(isinstance(m, Int8Linear) for m in model.modules())


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows: the current working set is the best psutil offers portably
        import psutil

        return float(psutil.Process().memory_info().rss) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes vs KiB


# ---------------------------------------------------------------------------------------------
# The JSON report (the printed one is benchmarks.bench_table)


def _report(
    args: argparse.Namespace, results: list[Figures], llama_skipped: str | None
) -> dict[str, Any]:
    import torch

    from penwright.models.loading.cpu_features import FLAGS_THAT_MATTER, cpu_features

    cpu = cpu_features()
    first_round = [r for r in results if r.round == 1]
    baseline = next((r for r in first_round if r.name == BASELINE), None)
    return {
        "machine": {
            "cpu": cpu.describe(),
            "cpu_model": cpu.model,
            "cpu_flags": [flag for flag in FLAGS_THAT_MATTER if flag in cpu.flags],
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "threads": args.threads,
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        },
        "settings": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in vars(args).items()
            if k not in ("child", "round")
        },
        "results": [asdict(r) for r in first_round],
        "rounds": [asdict(r) for r in results],
        "ratios_vs_baseline": {
            r.label: ratios(baseline, r)
            for r in first_round
            if baseline is not None and r is not baseline
        },
        "llama_cpp": {"skipped": llama_skipped}
        if llama_skipped
        else {
            "decode_vs_llama_cpp": anchor_ratios(results),
        },
    }


if __name__ == "__main__":
    sys.exit(main())
