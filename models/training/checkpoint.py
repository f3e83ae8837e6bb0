"""Resumable training checkpoints, in safetensors only (never torch.save, which is pickle).

One file holds the LoRA matrices, AdamW's two moments per matrix and, in the metadata, the
step reached and the run's fingerprint (corpus and hyperparameters): a checkpoint of another
corpus or other settings is never resumed.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

CHECKPOINT_FILE = "checkpoint.safetensors"


def save_checkpoint(
    folder: Path, parameters: dict[str, torch.Tensor], optimizer: Any, step: int, fingerprint: str
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    for name, parameter in parameters.items():
        tensors[f"param/{name}"] = parameter.detach().contiguous().clone()
        state = optimizer.state.get(parameter, {})
        for moment in ("exp_avg", "exp_avg_sq"):
            if moment in state:
                tensors[f"{moment}/{name}"] = state[moment].contiguous().clone()
    temporary = folder / (CHECKPOINT_FILE + ".tmp")
    save_file(tensors, str(temporary), metadata={"step": str(step), "fingerprint": fingerprint})
    os.replace(temporary, folder / CHECKPOINT_FILE)


def load_checkpoint(
    folder: Path, parameters: dict[str, torch.Tensor], optimizer: Any, fingerprint: str
) -> int:
    """Restore a matching checkpoint into ``parameters`` and ``optimizer``; the step, or 0."""
    path = folder / CHECKPOINT_FILE
    if not path.is_file():
        return 0
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            if metadata.get("fingerprint") != fingerprint:
                return 0
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
    except (OSError, SafetensorError):
        return 0  # a damaged checkpoint: start again rather than fail
    step = int(metadata.get("step", "0"))
    with torch.no_grad():
        for name, parameter in parameters.items():
            if f"param/{name}" not in tensors:
                return 0
            parameter.copy_(tensors[f"param/{name}"])
            if f"exp_avg/{name}" in tensors:
                optimizer.state[parameter] = {
                    "step": torch.tensor(float(step)),
                    "exp_avg": tensors[f"exp_avg/{name}"],
                    "exp_avg_sq": tensors[f"exp_avg_sq/{name}"],
                }
    return step


def discard_checkpoint(folder: Path) -> None:
    with contextlib.suppress(OSError):
        (folder / CHECKPOINT_FILE).unlink()
