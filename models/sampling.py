"""Choosing the next token: transformers' logits processors plus a seeded torch.Generator.

The processors run in the order ``model.generate`` uses (repetition penalty, then temperature,
top-k, top-p, min-p), so temperature 0 with a repetition penalty still matches ``generate``.
"""

from __future__ import annotations

import torch
from transformers import (
    LogitsProcessorList,
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from models.params import GenerationParams


class Sampler:
    """Picks tokens for one alternative. Everything stays on the model's device (no host sync)."""

    def __init__(self, params: GenerationParams, seed: int, device: torch.device) -> None:
        self._greedy = params.greedy
        self._processors = _processors(params)
        self._generator = torch.Generator(device=device)
        self._generator.manual_seed(seed)

    def pick(self, logits: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
        """logits (1, vocab) of the last position, input_ids (1, seq) so far -> token (1, 1)."""
        # transformers annotates input_ids as LongTensor, a type tensors never have at runtime.
        scores = self._processors(input_ids, logits.float())  # type: ignore[arg-type]
        if self._greedy:
            return scores.argmax(dim=-1, keepdim=True)
        probs = torch.softmax(scores, dim=-1)
        return torch.multinomial(probs, num_samples=1, generator=self._generator)


def _processors(params: GenerationParams) -> LogitsProcessorList:
    chain = LogitsProcessorList()
    if params.repetition_penalty != 1.0:
        chain.append(RepetitionPenaltyLogitsProcessor(params.repetition_penalty))
    if params.greedy:
        return chain  # the warpers only reshape the distribution argmax ignores
    if params.temperature != 1.0:
        chain.append(TemperatureLogitsWarper(params.temperature))
    if params.top_k > 0:
        chain.append(TopKLogitsWarper(params.top_k))
    if params.top_p < 1.0:
        chain.append(TopPLogitsWarper(params.top_p))
    if params.min_p > 0.0:
        chain.append(MinPLogitsWarper(params.min_p))
    return chain
