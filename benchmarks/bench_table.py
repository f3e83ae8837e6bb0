"""The benchmark's printed report: the table, the rounds against llama.cpp, the summary lines.

Pure formatting of Figures (no model, no torch): tests check the layout and the ratios directly.
"""

from __future__ import annotations

import statistics

from penwright.benchmarks.bench_figures import BASELINE, ENGINE, LLAMA_CPP, Figures
from penwright.benchmarks.perplexity_texts import LANGUAGES

PERPLEXITY_HEADER = "ppl " + " / ".join(LANGUAGES)
PERPLEXITY_WIDTH = 34


def format_table(results: list[Figures]) -> str:
    """The round-1 figures as a text table (ratios under each row when there is a baseline,
    perplexity with its ratio to engine fp32 beside the speed), then the per-round decode
    against llama.cpp and its summary."""
    rows = [r for r in results if r.round == 1]
    baseline = next((r for r in rows if r.name == BASELINE), None)
    fp32 = fp32_reference(rows)
    header = (
        f"{'configuration':<34}{'load s':>8}{'TTFT cold s':>13}{'TTFT append s':>15}"
        f"{'decode tok/s':>14}{'peak RSS MB':>13}"
    )
    if any(r.perplexity for r in rows):
        header += f"  {PERPLEXITY_HEADER:<{PERPLEXITY_WIDTH}}"
    header = header.rstrip()
    lines = [header, "-" * len(header)]
    for r in rows:
        label = f"{r.label} ({r.device})"
        line = (
            f"{label:<34}{r.load_s:>8.2f}{r.ttft_cold_s:>13.3f}{r.ttft_append_s:>15.3f}"
            f"{r.decode_tokens_per_s:>14.1f}{r.peak_rss_mb:>13.0f}"
        )
        if r.perplexity:
            line += f"  {perplexity_cell(r, fp32)}"
        lines.append(line.rstrip())
        if baseline is not None and r is not baseline:
            r_ = ratios(baseline, r)
            lines.append(
                f"{'  x vs baseline':<34}{'':>8}{r_['ttft_cold']:>12.1f}x"
                f"{r_['ttft_append']:>14.1f}x{r_['decode']:>13.1f}x"
                f"{r_['peak_rss']:>12.2f}x"
            )
    first = next((r.first_load_s for r in rows if r.first_load_s is not None), None)
    if first is not None:
        lines.append(f"first load (GGUF conversion into an empty cache): {first:.1f} s")
    prompt = rows[0].prompt_tokens if rows else 0
    cached = "engine, llama.cpp" if any(r.name == LLAMA_CPP for r in rows) else "engine"
    lines.append(
        f"document: {prompt} tokens; TTFT append reuses the prefix cache ({cached}) or "
        "re-encodes everything (baseline); x = how many times better"
    )
    if fp32 is not None and any(r.perplexity for r in rows if r is not fp32):
        lines.append(
            f"perplexity: held-out {' and '.join(LANGUAGES)} stories, "
            f"{_token_counts(rows)} tokens scored; (x) = ratio to {fp32.label}, "
            "lower is better"
        )
    for r in rows:
        if r.sampled_tokens_per_s is not None:
            lines.append(
                f"{r.label}: decode with the app's default sampling "
                f"({_default_sampling()}): {r.sampled_tokens_per_s:.1f} tok/s"
            )
    for r in rows:
        cancels = [
            f"during {stage} {ms[0]:.0f} ms (worst {ms[1]:.0f} ms)"
            for ms, stage in ((r.cancel_prefill_ms, "prefill"), (r.cancel_decode_ms, "decode"))
            if ms is not None
        ]
        if cancels:
            lines.append(f"{r.label}: cancel -> idle {', '.join(cancels)}")
    printed: set[tuple[str, str]] = set()
    for r in results:
        for note in r.notes:
            if (r.label, note) in printed:
                continue  # the same note in a later round (llama.cpp's build line) says nothing new
            printed.add((r.label, note))
            where = r.label if r.round == 1 else f"{r.label}, round {r.round}"
            lines.append(f"note ({where}): {note}")
    lines += format_rounds(results)
    lines += format_anchor_summary(results)
    return "\n".join(lines)


def fp32_reference(rows: list[Figures]) -> Figures | None:
    """The engine fp32 row with perplexity measured: what other precisions are compared with."""
    return next(
        (r for r in rows if r.name == ENGINE and r.precision == "fp32" and r.perplexity), None
    )


def perplexity_cell(r: Figures, fp32: Figures | None) -> str:
    """'12.34 / 23.45', with '(1.004x / 1.010x)' of fp32's when fp32 is measured and r is not
    fp32; a language r did not score shows '-'."""
    cell = " / ".join(
        f"{r.perplexity[lang]:.2f}" if lang in r.perplexity else "-" for lang in LANGUAGES
    )
    if fp32 is not None and r is not fp32:
        cell += (
            " ("
            + " / ".join(
                f"{r.perplexity[lang] / fp32.perplexity[lang]:.3f}x"
                if lang in r.perplexity and lang in fp32.perplexity
                else "-"
                for lang in LANGUAGES
            )
            + ")"
        )
    return cell


def _token_counts(rows: list[Figures]) -> str:
    counts = next((r.perplexity_tokens for r in rows if r.perplexity_tokens), {})
    return " / ".join(str(counts.get(lang, "-")) for lang in LANGUAGES)


def format_rounds(results: list[Figures]) -> list[str]:
    """One line per round with a llama.cpp row: each engine precision's decode, llama.cpp's, and
    their ratio (engine / llama.cpp, above 1 is faster)."""
    lines = []
    for number in sorted({r.round for r in results if r.name == LLAMA_CPP}):
        llama = next(r for r in results if r.round == number and r.name == LLAMA_CPP)
        engines = [r for r in results if r.round == number and r.name == ENGINE]
        speeds = [f"{r.label} {r.decode_tokens_per_s:.1f} tok/s" for r in engines]
        speeds.append(f"{LLAMA_CPP} {llama.decode_tokens_per_s:.1f} tok/s")
        versus = ", ".join(
            f"{r.precision} {r.decode_tokens_per_s / llama.decode_tokens_per_s:.2f}x"
            for r in engines
        )
        lines.append(
            f"round {number}: decode {', '.join(speeds)}"
            + (f" (engine / llama.cpp: {versus})" if versus else "")
        )
    return lines


def anchor_ratios(results: list[Figures]) -> dict[str, dict[str, float]]:
    """Per engine precision: the median decode over the rounds that also ran llama.cpp, llama.cpp's
    median over the same rounds, their ratio and the number of rounds."""
    llama_by_round = {r.round: r for r in results if r.name == LLAMA_CPP}
    summary: dict[str, dict[str, float]] = {}
    precisions = list(dict.fromkeys(r.precision for r in results if r.name == ENGINE))
    for precision in precisions:
        paired = [
            (r, llama_by_round[r.round])
            for r in results
            if r.name == ENGINE and r.precision == precision and r.round in llama_by_round
        ]
        if not paired:
            continue
        engine = statistics.median(e.decode_tokens_per_s for e, _ in paired)
        llama = statistics.median(a.decode_tokens_per_s for _, a in paired)
        summary[f"{ENGINE} {precision}"] = {
            "decode_ratio": engine / llama,
            "engine_tokens_per_s": engine,
            "llama_cpp_tokens_per_s": llama,
            "rounds": float(len(paired)),
        }
    return summary


def format_anchor_summary(results: list[Figures]) -> list[str]:
    """'decode vs llama.cpp: 0.65x (engine int8 29.4 tok/s, llama.cpp 45.5 tok/s, rounds 2)'."""
    return [
        f"decode vs llama.cpp: {s['decode_ratio']:.2f}x ({label} "
        f"{s['engine_tokens_per_s']:.1f} tok/s, llama.cpp {s['llama_cpp_tokens_per_s']:.1f} "
        f"tok/s, rounds {s['rounds']:.0f})"
        for label, s in anchor_ratios(results).items()
    ]


def ratios(baseline: Figures, other: Figures) -> dict[str, float]:
    """How many times better ``other`` is than the baseline: time ratios baseline/other, speed
    other/baseline, memory other/baseline (below 1 is better)."""
    return {
        "ttft_cold": baseline.ttft_cold_s / other.ttft_cold_s,
        "ttft_append": baseline.ttft_append_s / other.ttft_append_s,
        "decode": other.decode_tokens_per_s / baseline.decode_tokens_per_s,
        "peak_rss": other.peak_rss_mb / baseline.peak_rss_mb,
    }


def _default_sampling() -> str:
    from penwright.models.params import GenerationParams

    d = GenerationParams()
    return f"temperature {d.temperature}, top-k {d.top_k}, top-p {d.top_p}"
