"""A scripted stand-in for a causal LM: it "writes" a known text, so tests know exactly what the
engine receives and can check what it shows, where it stops and what the rules override."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import torch


class ScriptedLM(torch.nn.Module):
    """A stand-in causal LM whose greedy continuation of any prompt is ``script`` then eos."""

    def __init__(self, script: list[int], vocab_size: int, eos_id: int) -> None:
        super().__init__()
        self.script = script
        self.vocab_size = vocab_size
        self.eos_id = eos_id
        self.generation_config = SimpleNamespace(eos_token_id=eos_id)
        self.device = torch.device("cpu")
        self.prompt_length = 0
        self.forward_calls = 0
        self.on_forward: Callable[[int], None] = lambda calls: None

    def forward(self, input_ids: torch.Tensor, cache: Any, **_: Any) -> Any:
        # "cache": the KV cache argument's name from transformers 5.24 (models.generation.forward).
        self.forward_calls += 1
        self.on_forward(self.forward_calls)
        fed = input_ids.shape[1]
        cache.update(torch.zeros(1, 1, fed, 1), torch.zeros(1, 1, fed, 1), 0)
        # Mid-prefill the answer is never used; clamp so it is still a valid token.
        generated = max(0, cache.get_seq_length() - self.prompt_length)
        token = self.script[generated] if generated < len(self.script) else self.eos_id
        logits = torch.zeros(1, 1, self.vocab_size)
        logits[0, 0, token] = 100.0
        return SimpleNamespace(logits=logits)
