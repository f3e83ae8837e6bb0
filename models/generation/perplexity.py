"""Held-out perplexity of a causal LM on a token sequence, from the model's own logits.

Why windows: a text longer than the context the model is run with is scored in overlapping
windows of ``window`` tokens that advance by ``stride``; every token is scored exactly once, and
(after the first window) with at least ``window - stride`` tokens of context, the usual strided
evaluation (which tokens: perplexity_windows). Why chunks: the logits of one position are a
262,144-wide row for Gemma 3 (1 MB in fp32), so a window is fed ``chunk`` tokens at a time
through a KV cache and only the logits of the chunk in hand exist at once. Works on whatever the
loader produced (fp32, bf16, int8 or any other weight form), since it only calls the model's
forward.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import DynamicCache

from penwright.models.generation.forward import cache_argument
from penwright.models.generation.perplexity_windows import (
    DEFAULT_STRIDE,
    DEFAULT_WINDOW,
    scored_spans,
)

__all__ = ["DEFAULT_CHUNK", "Perplexity", "evaluate_perplexity", "scored_spans"]

DEFAULT_CHUNK = 128


@dataclass(frozen=True)
class Perplexity:
    """Mean negative log-likelihood (nats per token) over ``tokens`` scored tokens."""

    mean_nll: float
    tokens: int

    @property
    def perplexity(self) -> float:
        return math.exp(self.mean_nll)


def evaluate_perplexity(
    model: Any,
    token_ids: Sequence[int] | torch.Tensor,
    window: int = DEFAULT_WINDOW,
    stride: int = DEFAULT_STRIDE,
    chunk: int = DEFAULT_CHUNK,
) -> Perplexity:
    """Perplexity of ``model`` (a transformers causal LM) on ``token_ids`` (one sequence, the
    tokenizer's BOS included if the model expects one), evaluated in strided windows."""
    ids = torch.as_tensor(token_ids, dtype=torch.long).reshape(-1)
    if ids.numel() < 2:
        raise ValueError("perplexity needs at least two tokens")
    if chunk < 1:
        raise ValueError(f"chunk must be positive, got {chunk}")
    device = _device_of(model)
    total_nll = 0.0
    scored = 0
    for begin, first_scored, end in scored_spans(ids.numel(), window, stride):
        total_nll += _window_nll(model, ids[begin:end].to(device), first_scored - begin, chunk)
        scored += end - first_scored
    return Perplexity(mean_nll=total_nll / scored, tokens=scored)


def _window_nll(model: Any, ids: torch.Tensor, first_scored: int, chunk: int) -> float:
    """Summed NLL of ids[first_scored:] given the tokens before them inside this window."""
    # DynamicCache() without a config keeps every layer whole (no sliding-window eviction), so
    # feeding the window in chunks gives the logits of one forward over the whole window.
    kv = DynamicCache()
    total = 0.0
    with torch.inference_mode():
        for start in range(0, ids.numel() - 1, chunk):
            stop = min(start + chunk, ids.numel() - 1)  # the last token predicts nothing here
            # Logits only for the positions that predict a scored token (the window's first
            # tokens are context): the vocabulary projection is most of the cost.
            wanted = stop - max(start, first_scored - 1)
            out = model(
                input_ids=ids[None, start:stop],
                use_cache=True,
                logits_to_keep=max(wanted, 1),
                **{cache_argument(model): kv},
            )
            if wanted > 0:
                logits = out.logits[0, -wanted:].float()
                targets = ids[stop - wanted + 1 : stop + 1]
                total += float(torch.nn.functional.cross_entropy(logits, targets, reduction="sum"))
    return total


def _device_of(model: Any) -> torch.device:
    try:
        return next(model.parameters()).device
    except (AttributeError, StopIteration):
        return torch.device("cpu")
