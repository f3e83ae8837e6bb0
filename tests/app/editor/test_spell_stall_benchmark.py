"""benchmarks/spell_stall.py runs end to end through penwright-cli with a tiny document and
prints a line per way (spelling off, on, with Markdown) with every figure. No timing asserted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_a_tiny_run_prints_every_figure(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    run = subprocess.run(
        [sys.executable, "-m", "penwright.cli", "spell-stall", "--mb", "0.05", "--chars", "5",
         "--json", str(figures)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("typing into a 0.05 MB document in a real Editor")
    ways = ["spelling off (baseline)", "spelling on", "spelling + Markdown"]
    number = r"\s*[\d.]+"
    for way, line in zip(ways, lines[1:], strict=True):
        assert line.strip().startswith(way)
        assert re.search(
            rf"open{number} s \(longest stall{number} ms\)\s+typing at the end: longest stall"
            rf"{number} ms, longest key{number} ms\s+at the start: longest stall{number} ms, "
            rf"longest key{number} ms",
            line,
        ), line
    rows = json.loads(figures.read_text("utf-8"))["rows"]
    assert [row["way"] for row in rows] == ways
