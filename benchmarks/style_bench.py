"""``penwright-cli bench-style``: the figures of "Learn my style" (issue #16) on this machine.

Builds the generated harbour-novel corpus (benchmarks.style_corpus, >= 30,000 words), trains a
style on the default model through the real training child (bounded by --max-minutes), and
prints: training time, training tokens/s, the child's peak RSS, held-out perplexity before and
after, and decode tokens/s of the style against the base model, alternated in the same run at
the same precision (the style is merged and quantized as the base is, so they should match).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from penwright.benchmarks.style_corpus import write_corpus

PROMPT = (
    "Captain Orrimond came down at last to the Lantern Quay when the tide-bells counted the "
    "hour, and"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="penwright-cli bench-style", description=__doc__)
    parser.add_argument("--words", type=int, default=32_000, help="corpus size in words")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-minutes", type=float, default=10.0, help="training time limit")
    parser.add_argument("--decode-rounds", type=int, default=3)
    parser.add_argument("--precision", default="auto", help="decode precision of both models")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="penwright-style-bench-"))
    os.environ.setdefault("PENWRIGHT_DATA_DIR", str(work / "data"))
    from penwright.models.training.job import TrainingJob
    from penwright.models.training.process import events, start_training
    from penwright.models.training.styles import read_style

    corpus = write_corpus(work / "corpus", words=args.words)
    job = TrainingJob(
        paths=[str(corpus)], name="Bench harbour", epochs=args.epochs, max_minutes=args.max_minutes
    )
    started = time.monotonic()
    child, _progress = start_training(job)
    process = psutil.Process(child.pid)
    peak = 0
    last: dict = {}
    for event in events(child):
        with contextlib.suppress(psutil.Error):
            peak = max(peak, process.memory_info().rss)
        last = event
        if event["event"] in ("corpus", "done", "error"):
            print(f"event: {event}", flush=True)
    code = child.wait()
    wall = time.monotonic() - started
    if code != 0:
        print(f"training failed ({code}): {last}")
        return 1
    style = read_style(last["style"])
    figures = style.meta["figures"]
    before, after = figures["perplexity_before"], figures["perplexity_after"]
    corpus_stats = style.meta["corpus"]
    print(f"corpus: {corpus_stats['words']:,} words, {corpus_stats['tokens']:,} tokens")
    print(
        f"training: {figures['training_seconds']:.0f} s of steps ({figures['steps']}/"
        f"{figures['steps_planned']} steps, time limit hit: {figures['stopped_at_time_limit']}), "
        f"{wall:.0f} s wall with loading and evaluation"
    )
    print(f"training tokens/s: {figures['tokens_per_second']:.1f}")
    print(f"peak RSS of the training child: {peak / 2**20:.0f} MiB")
    print(
        f"held-out perplexity: {before:.2f} -> {after:.2f} ({1 - after / before:.1%} lower, "
        f"{figures['held_out_tokens']} held-out tokens)"
    )
    base_speed, style_speed = _decode_speeds(style.source, args.precision, args.decode_rounds)
    print(
        f"decode tokens/s ({args.precision}): base {base_speed:.1f}, style {style_speed:.1f} "
        f"({style_speed / base_speed - 1:+.1%})"
    )
    print(f"samples: prompt …{style.meta['samples']['prompt']!r}")
    print(f"  before: {style.meta['samples']['before']!r}")
    print(f"  after:  {style.meta['samples']['after']!r}")
    return 0


def _decode_speeds(style_source: str, precision: str, rounds: int) -> tuple[float, float]:
    """Median decode tokens/s of the base and the style, alternated so load drift hits both."""
    from penwright.models.generation.engine import Engine
    from penwright.models.params import GenerationParams, StopMode
    from penwright.models.spec import ModelSpec

    params = GenerationParams(temperature=0.0, max_new_tokens=64, stop=StopMode.NONE).plain()
    engines = {}
    for source in ("default", style_source):
        engine = Engine()
        engine.load(ModelSpec(source=source, device="cpu", precision=precision))
        engines[source] = engine
    speeds: dict[str, list[float]] = {source: [] for source in engines}
    for _ in range(rounds):
        for source, engine in engines.items():
            for _delta in engine.stream(PROMPT + f" {len(speeds[source])}", params):
                pass
            speeds[source].append(engine.last_stats.decode_tokens_per_s)
    return statistics.median(speeds["default"]), statistics.median(speeds[style_source])
