"""The benchmark: one real (short) run against the baseline, and its table's layout.

Speed is never asserted here; these check that the benchmark measures what it says and prints
the baseline, the engine and their ratios.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from penwright.benchmarks.bench import Figures, format_table

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.real_model
def test_a_short_real_run_prints_baseline_engine_and_ratios(tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    command = [
        sys.executable, "-m", "penwright.cli", "bench", "--precision", "int8", "--doc-tokens", "64",
        "--new-tokens", "4", "--requests", "1", "--json", str(report),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[2].startswith("baseline generate fp32 (cpu)")
    assert lines[3].startswith("engine int8 (cpu)")
    assert lines[4].strip().startswith("x vs baseline")
    data = json.loads(report.read_text(encoding="utf-8"))
    baseline, engine = data["results"]
    assert engine["prompt_tokens"] == baseline["prompt_tokens"] > 16
    assert engine["reused_tokens"] > 0  # the appended request was served from the prefix cache
    assert baseline["decode_tokens_per_s"] > 0 and engine["decode_tokens_per_s"] > 0
    # 2,048 tokens cannot decode in the 0.3 s before the cancel: it always lands in decode.
    median, worst = engine["cancel_decode_ms"]
    assert 0 < median <= worst
    assert any(line.startswith("engine int8: cancel -> idle ") for line in lines)
    ratio = data["ratios_vs_baseline"]["engine int8"]["decode"]
    assert ratio == pytest.approx(
        engine["decode_tokens_per_s"] / baseline["decode_tokens_per_s"]
    )


def figures(name: str, precision: str, tokens_per_s: float, notes: list[str]) -> Figures:
    return Figures(
        name=name, precision=precision, device="cuda:0", load_s=1.0, ttft_cold_s=0.2,
        ttft_append_s=0.1, decode_tokens_per_s=tokens_per_s, peak_rss_mb=900.0,
        prompt_tokens=1900, notes=notes,
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
