"""Packaging tests build the real wheel and sdist from a copy of the working tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
"""The repository root, which is the package `penwright`."""

_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "bench-results",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: takes seconds (builds or installs the package); still runs in CI"
    )


@pytest.fixture(scope="session")
def source_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree without build outputs, caches or the venv, so builds never race the
    checkout's own build/ folder or pick up stale files from it."""
    copy = tmp_path_factory.mktemp("source") / "penwright"
    shutil.copytree(ROOT, copy, ignore=_NOT_SOURCE)
    return copy
