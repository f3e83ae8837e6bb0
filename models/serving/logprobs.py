"""Token log-probabilities of what a job generated, for OpenAI ``logprobs`` requests.

The engine samples without keeping probabilities (its decode loop stays one host sync a step), so
they are computed afterwards, on the owner thread, by one scoring forward over the prompt and the
generated tokens on a throwaway KV cache (the engine's prefix cache stays as the request left it).
They are the model's own distribution, before temperature and the other filters, as OpenAI and
vLLM report them.

A streamed request, and a source that cannot be scored (a remote server that reports its own),
get the probabilities the source streams with its text instead (models.results.TokenInfo, asked
with GenerationParams.top_alternatives): the distribution each token was drawn from, which at
temperature 0 is the model's own (after the prose rules), and after temperature, top-k and
top-p otherwise; ``from_tokens`` turns them into the same OpenAI object.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from penwright.models.results import TokenInfo
from penwright.models.serving.jobs import TokenLogprobs

MAX_TOP_LOGPROBS = 5
"""The most alternatives per token a request may ask for (OpenAI's own limit)."""


def can_score(source: object) -> bool:
    """Whether ``source`` exposes what scoring needs (the local Engine does; a remote one not)."""
    return all(
        hasattr(source, name)
        for name in ("model", "tokenizer", "last_prompt_ids", "last_alternative_ids")
    )


def streams_tokens(source: object) -> bool:
    """Whether ``source`` streams token probabilities when asked (TextSource's optional
    ``reports_token_probabilities``: the local Engine, a remote server that reports them)."""
    return bool(getattr(source, "reports_token_probabilities", False))


def from_tokens(tokens: Sequence[TokenInfo], top: int, text_offset: int) -> TokenLogprobs:
    """Streamed tokens as the OpenAI logprobs object; ``text_offset``: where the first starts."""
    offsets, at = [], text_offset
    for token in tokens:
        offsets.append(at)
        at += len(token.text)
    return TokenLogprobs(
        tokens=tuple(t.text for t in tokens),
        token_logprobs=tuple(_log(t.probability) for t in tokens),
        top_logprobs=tuple({c.text: _log(c.probability) for c in t.top[:top]} for t in tokens)
        if top > 0
        else (),
        text_offset=tuple(offsets),
    )


def _log(probability: float) -> float:
    return math.log(probability) if probability > 0 else -math.inf


def score_choices(
    source: Any, texts: list[str], top: int, prompt_chars: int
) -> tuple[TokenLogprobs, ...]:
    """The logprobs of each choice of ``source``'s last request; ``texts``: each choice's text
    as sent (a token past a stop string is left out); ``prompt_chars``: where text offsets start."""
    prompt_ids: list[int] = source.last_prompt_ids
    generated: tuple[list[int], ...] = source.last_alternative_ids
    return tuple(
        _score(source, prompt_ids, generated[min(i, len(generated) - 1)], text, top, prompt_chars)
        if generated
        else TokenLogprobs((), (), (), ())
        for i, text in enumerate(texts)
    )


def _score(
    source: Any, prompt_ids: list[int], ids: list[int], text: str, top: int, prompt_chars: int
) -> TokenLogprobs:
    tokenizer = source.tokenizer
    pieces = _pieces(tokenizer, ids)
    kept = 0
    length = 0
    while kept < len(ids) and length < len(text):  # the tokens the sent text is made of
        length += len(pieces[kept])
        kept += 1
    if kept == 0:
        return TokenLogprobs((), (), (), ())
    ids, pieces = ids[:kept], pieces[:kept]
    # Here, not at the top: the app's window imports the server (and this) before torch loads.
    import torch

    from penwright.models.generation.forward import forward_all_logits
    from penwright.models.generation.sliding_cache import rollback_cache

    model = source.model
    every = torch.tensor([prompt_ids + ids], device=model.device)
    logits = forward_all_logits(
        model, every, rollback_cache(getattr(model, "config", None)), kept + 1
    )
    predictions = torch.log_softmax(logits[0, :-1].float(), dim=-1)  # (kept, vocab)
    chosen = predictions.gather(-1, torch.tensor(ids, device=predictions.device)[:, None])[:, 0]
    top_logprobs: list[dict[str, float]] = []
    if top > 0:
        values, indices = predictions.topk(top, dim=-1)
        for row_values, row_indices in zip(values.tolist(), indices.tolist(), strict=True):
            top_logprobs.append(
                {tokenizer.decode([i]): v for i, v in zip(row_indices, row_values, strict=True)}
            )
    offsets, at = [], prompt_chars
    for piece in pieces:
        offsets.append(at)
        at += len(piece)
    return TokenLogprobs(
        tokens=tuple(pieces),
        token_logprobs=tuple(chosen.tolist()),
        top_logprobs=tuple(top_logprobs),
        text_offset=tuple(offsets),
    )


def _pieces(tokenizer: Any, ids: list[int]) -> list[str]:
    """Each token's text as it stands in the decoded whole (leading spaces included), so the
    pieces add up to the text."""
    pieces, before = [], ""
    for end in range(1, len(ids) + 1):
        text = tokenizer.decode(ids[:end], skip_special_tokens=True)
        pieces.append(text[len(before) :] if text.startswith(before) else text)
        before = text
    return pieces
