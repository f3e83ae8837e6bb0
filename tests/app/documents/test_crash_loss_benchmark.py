"""benchmarks/crash_loss.py runs end to end (SIGKILLs of the real app, relaunches, the autosave
timing) and prints every figure the issue asks for, next to its target. No timing is asserted:
the figures are for reading."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_a_short_run_prints_every_figure_with_its_target() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "penwright.cli",
            "crash-loss",
            "--kills",
            "2",
            "--large-mb",
            "0.2",
            "--autosave-sizes",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "crash loss: 2 SIGKILLs" in out
    for line in (
        "characters lost: max",
        "seconds lost: max",
        "exact prefix: ",
        "relaunch failures: ",
    ):
        assert line in out
    assert "(target 100%)" in out and "(target 0)" in out and "(target <= 0.5 s)" in out
    assert "autosave GUI-thread cost at 1 MB: median" in out and "(target <= 5 ms at 100 MB)" in out
    # each kill is reported with its scenario: untitled first, then named
    assert "untitled small" in out and "named small" in out
