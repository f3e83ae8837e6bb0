"""The figures of a style: held-out perplexity and a sample continuation, before and after."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from penwright.models.generation.forward import forward_tokens
from penwright.models.generation.perplexity import evaluate_perplexity

SAMPLE_PROMPT_TOKENS = 48
SAMPLE_NEW_TOKENS = 40


def held_out_perplexity(model: Any, blocks: Sequence[Sequence[int]], bos: int | None) -> float:
    """Perplexity over every held-out block, each scored on its own (one window each)."""
    total = 0.0
    scored = 0
    for block in blocks:
        ids = ([bos] if bos is not None else []) + list(block)
        result = evaluate_perplexity(model, ids, window=len(ids), stride=len(ids))
        total += result.mean_nll * result.tokens
        scored += result.tokens
    return float(torch.tensor(total / scored).exp())


def sample_prompt(blocks: Sequence[Sequence[int]], tokenizer: Any) -> str:
    return str(tokenizer.decode(list(blocks[0][:SAMPLE_PROMPT_TOKENS]), skip_special_tokens=True))


def greedy_continuation(model: Any, tokenizer: Any, prompt: str) -> str:
    """A greedy continuation: the same for every run, so before and after compare fairly."""
    from transformers import DynamicCache

    ids = tokenizer(prompt, return_tensors="pt").input_ids.to(next(model.parameters()).device)
    kv = DynamicCache()
    new: list[int] = []
    with torch.inference_mode():
        logits = forward_tokens(model, ids, kv)
        for _ in range(SAMPLE_NEW_TOKENS):
            token = int(logits[0].argmax())
            if token == tokenizer.eos_token_id:
                break
            new.append(token)
            logits = forward_tokens(model, torch.tensor([[token]], device=ids.device), kv)
    return str(tokenizer.decode(new, skip_special_tokens=True))
