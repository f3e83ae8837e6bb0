"""Faults injected into an Engine's decode step, as a GPU would raise them mid-request."""

from __future__ import annotations

from typing import Any

import torch

from penwright.models.generation.engine import Engine


def out_of_memory_once(engine: Engine, on_call: int) -> None:
    """Make the engine's decode step raise CUDA out-of-memory on its ``on_call``-th call only;
    every other call runs the real step."""
    real_step = engine.decode_step
    calls = 0

    def step(model: Any, token: torch.Tensor, kv: Any) -> torch.Tensor:
        nonlocal calls
        calls += 1
        if calls == on_call:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_step(model, token, kv)

    engine.decode_step = step
