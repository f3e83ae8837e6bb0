"""ruff and mypy stay clean: the project's code is checked in CI like its behaviour."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return path


def test_ruff_finds_no_problems() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_no_type_errors_in_the_package(tmp_path: Path) -> None:
    # mypy cannot follow setuptools' editable import hook: link the repository as `penwright`.
    (tmp_path / "penwright").symlink_to(ROOT, target_is_directory=True)
    packages = [f"-p=penwright.{name}" for name in ("app", "models", "cli", "benchmarks")]
    result = subprocess.run(
        [_tool("mypy"), *packages],
        cwd=ROOT,
        env={**os.environ, "MYPYPATH": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
