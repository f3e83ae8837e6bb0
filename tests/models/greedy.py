"""The reference every speed trick is held to: greedy token ids from transformers' ``generate``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch


def generate_greedy(
    model: Any, prompt_ids: Sequence[int], max_new_tokens: int, **kwargs: Any
) -> list[int]:
    """The ids ``model.generate(do_sample=False)`` adds after ``prompt_ids`` (on the model's
    device; ``kwargs`` go to generate, e.g. repetition_penalty)."""
    input_ids = torch.tensor([list(prompt_ids)], device=model.device)
    with torch.inference_mode():
        out = model.generate(
            input_ids,
            attention_mask=torch.ones_like(input_ids),
            do_sample=False,
            max_new_tokens=max_new_tokens,
            **kwargs,
        )
    return list(out[0, len(prompt_ids) :].tolist())
