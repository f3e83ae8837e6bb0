"""Where Penwright keeps its files: the user data folder (the autosave journal, things worth
keeping) and the user cache folder (converted models, compiled kernels: things it can rebuild)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

CACHE_DIR_ENV = "PENWRIGHT_CACHE_DIR"
"""Environment variable that overrides the cache folder (tests, portable installs)."""

DATA_DIR_ENV = "PENWRIGHT_DATA_DIR"
"""Environment variable that overrides the data folder (tests, portable installs)."""


def data_root() -> Path:
    """The user data folder: $PENWRIGHT_DATA_DIR, else the platform's data dir for penwright."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir("penwright"))


def cache_root() -> Path:
    """The user cache folder: $PENWRIGHT_CACHE_DIR, else the platform's cache dir for penwright."""
    override = os.environ.get(CACHE_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_cache_dir("penwright"))


def converted_models_dir() -> Path:
    """Folder holding one converted model per GGUF sha256 (see models.loading.gguf_cache)."""
    return cache_root() / "converted"


def compiled_kernels_dir() -> Path:
    """Folder for torch.compile's generated kernels (the GPU decode step), kept across restarts
    so later starts reuse them instead of compiling again."""
    return cache_root() / "torchinductor"
