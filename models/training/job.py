"""What a training run is asked to do, and where its checkpoints live: no torch here.

Why a module of its own: the app builds a TrainingJob and starts the training child from the
GUI process, which must not import torch at start-up (tests/test_layering.py); train.py, which
needs torch, runs in the child.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from penwright.models.files.folders import cache_root
from penwright.models.training.corpus import MIN_WORDS


@dataclass
class TrainingJob:
    paths: list[str]
    name: str
    base: str = "default"
    epochs: int = 2
    rank: int = 16
    learning_rate: float = 5e-4
    max_minutes: float = 30.0
    sequence_tokens: int = 128
    batch_size: int = 4
    device: str = "auto"
    seed: int = 0
    min_words: int = MIN_WORDS
    extra: dict[str, Any] = field(default_factory=dict)


def run_folder(key: str) -> Path:
    return cache_root() / "training" / key
