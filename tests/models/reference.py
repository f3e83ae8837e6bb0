"""What the engine's tests hold it to: transformers' own greedy ``generate``, and a story to
continue (it ends mid-sentence, after a paragraph break)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

STORY = (
    "The lighthouse keeper climbed the stairs every evening. The lamp needed oil, the glass "
    "needed cleaning, and the log needed a line about the weather.\n\nOne night the fog came in "
    "so thick that"
)


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
