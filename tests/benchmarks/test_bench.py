"""The benchmark: one real (short) run against the baseline and llama.cpp, and its report's layout.

Speed is never asserted here; these check that the benchmark measures what it says and prints
the CPU line, the baseline, the engine, llama.cpp and their ratios.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from penwright.benchmarks import bench, llama_anchor
from penwright.benchmarks.bench import Figures, format_table
from penwright.benchmarks.bench_table import anchor_ratios, format_anchor_summary, format_rounds
from penwright.models import spec

ROOT = Path(__file__).resolve().parents[2]
HAS_LLAMA_CPP = importlib.util.find_spec("llama_cpp") is not None
needs_llama_cpp = pytest.mark.skipif(
    not HAS_LLAMA_CPP,
    reason="llama-cpp-python is not installed (the 'bench' extra; .ci/run installs it)",
)


def run_child(config: str, *options: str) -> dict[str, Any]:
    """One benchmark child on its own, as bench.main starts it: its result payload."""
    command = [sys.executable, "-m", "penwright.benchmarks.bench", "--child", config,
               "--model", "default", "--device", "cpu", "--threads", "2", *options]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith(bench.RESULT_PREFIX))
    return dict(json.loads(line[len(bench.RESULT_PREFIX) :]))


@pytest.mark.real_model
def test_a_short_real_run_prints_the_cpu_baseline_engine_anchor_and_ratios(
    tmp_path: Path,
) -> None:
    report = tmp_path / "bench.json"
    command = [
        sys.executable, "-m", "penwright.cli", "bench", "--precision", "int8", "--doc-tokens", "64",
        "--new-tokens", "4", "--requests", "1", "--rounds", "1", "--no-perplexity",
        "--threads", "2", "--json", str(report),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    from penwright.models.loading.cpu_features import cpu_features

    assert lines[0] == f"cpu: {cpu_features().describe()}"  # first, before any figure
    assert lines[1].startswith("threads: 2 ")
    assert lines[2].startswith("configuration")
    assert lines[4].startswith("baseline generate fp32 (cpu)")
    assert lines[5].startswith("engine int8 (cpu)")
    assert lines[6].strip().startswith("x vs baseline")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["machine"]["cpu"] == cpu_features().describe()
    baseline, engine = data["results"][:2]
    assert engine["prompt_tokens"] == baseline["prompt_tokens"] > 16
    assert engine["reused_tokens"] > 0  # the appended request was served from the prefix cache
    assert baseline["decode_tokens_per_s"] > 0 and engine["decode_tokens_per_s"] > 0
    assert engine["perplexity"] == {}  # --no-perplexity
    # 2,048 tokens cannot decode in the 0.3 s before the cancel: it always lands in decode.
    median, worst = engine["cancel_decode_ms"]
    assert 0 < median <= worst
    assert any(line.startswith("engine int8: cancel -> idle ") for line in lines)
    ratio = data["ratios_vs_baseline"]["engine int8"]["decode"]
    assert ratio == pytest.approx(engine["decode_tokens_per_s"] / baseline["decode_tokens_per_s"])
    if HAS_LLAMA_CPP:
        llama = data["results"][2]
        assert lines[7].startswith("llama.cpp gguf (cpu)")
        assert llama["round"] == 1  # its speed is a figure: the ratio below is what is checked
        summary = data["llama_cpp"]["decode_vs_llama_cpp"]["engine int8"]
        assert summary["decode_ratio"] == pytest.approx(
            engine["decode_tokens_per_s"] / llama["decode_tokens_per_s"]
        )
        assert any(line.startswith("decode vs llama.cpp: ") for line in lines)
    else:
        assert "llama.cpp: skipped: llama-cpp-python is not installed" in lines[1]
        assert "skipped" in data["llama_cpp"]


@needs_llama_cpp
def test_the_llama_cpp_child_measures_the_bundled_gguf_on_its_own_tokens() -> None:
    from llama_cpp import Llama

    from penwright.benchmarks.document import build_document

    payload = run_child("llama", "--doc-tokens", "48", "--new-tokens", "4", "--requests", "1",
                        "--no-perplexity")  # fmt: skip
    assert payload["name"] == "llama.cpp"
    for key in ("load_s", "ttft_cold_s", "ttft_append_s", "decode_tokens_per_s", "peak_rss_mb"):
        assert payload[key] > 0, key
    vocabulary = Llama(str(llama_anchor.gguf_path("default")), vocab_only=True, verbose=False)

    def count(text: str) -> int:
        return len(vocabulary.tokenize(text.encode("utf-8"), add_bos=True, special=False))

    document = build_document(count, 48)
    assert payload["prompt_tokens"] == count(document) <= 48
    # The appended request found the whole document in llama.cpp's cache but the last token
    # or two (appending text can retokenize the boundary).
    assert payload["prompt_tokens"] - 2 <= payload["reused_tokens"] <= payload["prompt_tokens"]
    assert payload["perplexity"] == {}


@needs_llama_cpp
def test_llama_cpp_perplexity_is_the_engines_on_the_same_tokens_within_its_rounding(
    default_model: Any,
) -> None:
    """The dequantized fp32 model and llama.cpp (q4_k weights, 8-bit activations) score the same
    GGUF's weights: a misaligned row or target would be off by far more than 10%."""
    from penwright.benchmarks.perplexity_texts import held_out_text
    from penwright.models.generation.perplexity import evaluate_perplexity

    tokens = list(default_model.tokenizer(held_out_text("en"))["input_ids"][:300])
    engine = evaluate_perplexity(default_model.model, tokens, window=128, stride=64)
    path = llama_anchor.gguf_path("default")
    mean_nll, scored = llama_anchor.llama_perplexity(path, tokens, threads=2, window=128,
                                                     stride=64)  # fmt: skip
    assert scored == engine.tokens == 299
    assert mean_nll == pytest.approx(engine.mean_nll, rel=0.1)


def test_llama_cpp_is_skipped_with_the_reason_when_it_cannot_anchor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if HAS_LLAMA_CPP:
        assert llama_anchor.skip_reason("default", "cpu") is None
        assert llama_anchor.skip_reason("/models/gemma.GGUF", "cpu") is None
    assert "not a GGUF file" in str(llama_anchor.skip_reason("/models/gemma-folder", "cpu"))
    assert "on the CPU" in str(llama_anchor.skip_reason("default", "cuda"))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert "llama-cpp-python is not installed" in str(llama_anchor.skip_reason("default", "cpu"))


def test_the_allowed_precisions_are_the_loaders(capsys: pytest.CaptureFixture[str]) -> None:
    assert tuple(p for p in spec.PRECISIONS if p != "auto") == bench.PRECISIONS
    assert bench.main(["--precision", "int9"]) == 2
    assert f"choose from {', '.join(bench.PRECISIONS)}" in capsys.readouterr().err
    assert bench.main(["--rounds", "0"]) == 2


def figures(name: str, precision: str, tokens_per_s: float, notes: list[str], **kw: Any) -> Figures:
    return Figures(
        name=name, precision=precision, device=kw.pop("device", "cuda:0"), load_s=1.0,
        ttft_cold_s=0.2, ttft_append_s=0.1, decode_tokens_per_s=tokens_per_s, peak_rss_mb=900.0,
        prompt_tokens=1900, notes=notes, **kw,
    )  # fmt: skip


def test_gpu_table_has_a_ratio_per_engine_row_and_the_decode_paths() -> None:
    table = format_table(
        [
            figures("baseline generate", "bf16", 50.0, ["peak GPU memory 700 MB"]),
            figures("engine", "bf16", 400.0, ["decode path: static cache, CUDA graph"]),
            figures("engine (eager)", "bf16", 60.0, ["decode path: eager"]),
        ]
    )
    lines = table.splitlines()
    rows = [lines[2], lines[3], lines[5]]
    assert [line.split(" (cuda:0)")[0] for line in rows] == [
        "baseline generate bf16",
        "engine bf16",
        "engine (eager) bf16",
    ]
    assert lines[4].split()[-2:] == ["8.0x", "1.00x"]  # 400 / 50 tok/s; same memory
    assert lines[6].split()[-2:] == ["1.2x", "1.00x"]
    header_end = lines[0].index("load s") + len("load s")
    assert all(line[header_end - 4 : header_end] == "1.00" for line in rows)  # aligned
    assert "note (engine bf16): decode path: static cache, CUDA graph" in lines
    assert "note (baseline generate bf16): peak GPU memory 700 MB" in lines
    assert not any("llama.cpp" in line for line in lines)  # no anchor: no rounds, no summary


def cpu_run() -> list[Figures]:
    """Baseline, two engine precisions and llama.cpp over two rounds, as bench.main orders them."""
    cpu = {"device": "cpu"}
    ppl_fp32 = {"perplexity": {"en": 20.0, "zh": 40.0}, "perplexity_tokens": {"en": 2422}}
    return [
        figures("baseline generate", "fp32", 10.0, [], **cpu),
        figures("engine", "fp32", 18.0, [], **cpu, **ppl_fp32),
        figures("engine", "int8", 30.0, [], **cpu, perplexity={"en": 20.2, "zh": 41.0}),
        figures("llama.cpp", "gguf", 40.0, ["a note"], **cpu, perplexity={"en": 21.0}),
        figures("engine", "fp32", 20.0, [], **cpu, round=2),
        figures("engine", "int8", 34.0, [], **cpu, round=2),
        figures("llama.cpp", "gguf", 50.0, ["a note", "slower today"], **cpu, round=2),
    ]


def test_cpu_table_puts_perplexity_beside_speed_with_its_ratio_to_fp32() -> None:
    lines = format_table(cpu_run()).splitlines()
    assert lines[0].endswith("ppl en / zh")
    row = {line.split(" (cpu)")[0]: line for line in lines if " (cpu)" in line}
    assert list(row) == ["baseline generate fp32", "engine fp32", "engine int8", "llama.cpp gguf"]
    assert row["engine fp32"].endswith("  20.00 / 40.00")  # the reference: no ratio
    assert row["engine int8"].endswith("  20.20 / 41.00 (1.010x / 1.025x)")
    assert row["llama.cpp gguf"].endswith("  21.00 / - (1.050x / -)")
    assert row["baseline generate fp32"].endswith(" 900")  # not measured: no cell
    column = lines[0].index("ppl en / zh")
    assert row["engine int8"].index("20.20") == column  # under its header
    assert any(line.startswith("perplexity: held-out en and zh stories, 2422 / - tokens")
               for line in lines)  # fmt: skip
    assert "note (llama.cpp gguf): a note" in lines
    assert "note (llama.cpp gguf, round 2): slower today" in lines
    assert sum("a note" in line for line in lines) == 1  # not again for round 2


def test_rounds_pair_each_engine_precision_with_the_llama_cpp_of_its_round() -> None:
    results = cpu_run()
    assert format_rounds(results) == [
        "round 1: decode engine fp32 18.0 tok/s, engine int8 30.0 tok/s, llama.cpp 40.0 tok/s "
        "(engine / llama.cpp: fp32 0.45x, int8 0.75x)",
        "round 2: decode engine fp32 20.0 tok/s, engine int8 34.0 tok/s, llama.cpp 50.0 tok/s "
        "(engine / llama.cpp: fp32 0.40x, int8 0.68x)",
    ]
    # Medians over the rounds: engine int8 32, llama.cpp 45.
    assert format_anchor_summary(results) == [
        "decode vs llama.cpp: 0.42x (engine fp32 19.0 tok/s, llama.cpp 45.0 tok/s, rounds 2)",
        "decode vs llama.cpp: 0.71x (engine int8 32.0 tok/s, llama.cpp 45.0 tok/s, rounds 2)",
    ]
    assert anchor_ratios(results)["engine int8"]["decode_ratio"] == pytest.approx(32 / 45)
    table = format_table(results).splitlines()
    assert table[-2:] == format_anchor_summary(results)  # the summary closes the report
    assert sum(line.startswith("engine int8 (cpu)") for line in table) == 1  # round 1 rows only
