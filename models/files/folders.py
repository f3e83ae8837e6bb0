"""Where Penwright keeps its files: the user data folder (the autosave journal, things worth
keeping), the user cache folder (converted models, compiled kernels: things it can rebuild) and
the user log folder. Each has an environment variable that overrides it (tests, portable
installs)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import platformdirs

CACHE_DIR_ENV = "PENWRIGHT_CACHE_DIR"
"""Environment variable that overrides the cache folder (tests, portable installs)."""

DATA_DIR_ENV = "PENWRIGHT_DATA_DIR"
"""Environment variable that overrides the data folder (tests, portable installs)."""

LOG_DIR_ENV = "PENWRIGHT_LOG_DIR"
"""Environment variable that overrides the log folder (tests, portable installs)."""


def data_root() -> Path:
    """The user data folder: $PENWRIGHT_DATA_DIR, else the platform's data dir for penwright."""
    return _folder(DATA_DIR_ENV, platformdirs.user_data_dir)


def cache_root() -> Path:
    """The user cache folder: $PENWRIGHT_CACHE_DIR, else the platform's cache dir for penwright."""
    return _folder(CACHE_DIR_ENV, platformdirs.user_cache_dir)


def log_root() -> Path:
    """The user log folder: $PENWRIGHT_LOG_DIR, else the platform's log dir for penwright."""
    return _folder(LOG_DIR_ENV, platformdirs.user_log_dir)


def _folder(override_env: str, platform_dir: Callable[[str], str]) -> Path:
    override = os.environ.get(override_env)
    return Path(override) if override else Path(platform_dir("penwright"))


def converted_models_dir() -> Path:
    """Folder holding one converted model per GGUF sha256 (see models.loading.gguf_cache)."""
    return cache_root() / "converted"


def compiled_kernels_dir() -> Path:
    """Folder for torch.compile's generated kernels (the GPU decode step), kept across restarts
    so later starts reuse them instead of compiling again."""
    return cache_root() / "torchinductor"
