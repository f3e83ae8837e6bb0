"""Starting the training child (worker.py) and reading its JSON-line events."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from penwright.models.training.job import TrainingJob, run_folder
from penwright.models.training.styles import style_key


def write_job(job: TrainingJob) -> tuple[Path, Path]:
    """The job file and the (emptied) progress file of ``job``, in its run folder."""
    folder = run_folder(style_key(job.name))
    folder.mkdir(parents=True, exist_ok=True)
    progress = folder / "progress.jsonl"
    progress.write_text("", encoding="utf-8")
    job_file = folder / "job.json"
    payload = dataclasses.asdict(job) | {"progress_file": str(progress)}
    job_file.write_text(json.dumps(payload), encoding="utf-8")
    return job_file, progress


def worker_command(job_file: Path) -> list[str]:
    return [sys.executable, "-m", "penwright.models.training.worker", str(job_file)]


def worker_environment() -> dict[str, str]:
    """The parent's environment, with the package's own root importable in the child."""
    env = dict(os.environ)
    root = str(Path(__file__).absolute().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def start_training(job: TrainingJob, detached: bool = False) -> tuple[subprocess.Popen[str], Path]:
    """Start the child; ``detached`` puts it in its own session (it outlives the parent) and
    sends its output only to the progress file."""
    job_file, progress = write_job(job)
    child = subprocess.Popen(
        worker_command(job_file),
        stdout=subprocess.DEVNULL if detached else subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=worker_environment(),
        start_new_session=detached,
    )
    return child, progress


def events(child: subprocess.Popen[str]) -> Iterator[dict[str, Any]]:
    assert child.stdout is not None
    for line in child.stdout:
        with contextlib.suppress(ValueError):
            yield json.loads(line)


def cancel(child: subprocess.Popen[str]) -> None:
    """Ask the child to stop (it saves its checkpoint and writes no style)."""
    if child.poll() is None:
        child.terminate()
