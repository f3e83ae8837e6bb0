"""Feeding tokens to a causal LM: the forward call every decode path makes.

transformers renamed the forward argument that takes the KV cache: ``past_key_values`` up to
5.23, ``cache`` from 5.24 (which still accepts the old name with a FutureWarning on every call,
until 5.40 drops it). Penwright supports both sides, so it asks the model's forward which name it
takes (custom and scripted models may keep the old one).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from penwright.models.model_parts import decoder_layers, decoder_of

OLD_CACHE_ARGUMENT = "past_key_values"


_ARGUMENT_BY_CLASS: dict[type, str] = {}


def cache_argument(model: Any) -> str:
    """The name of the forward argument that takes the KV cache: "cache" or "past_key_values".

    Read from the class's forward, not the instance's: accelerate's hooks replace an instance's
    forward with a ``(*args, **kwargs)`` wrapper that passes the names on unchanged.
    """
    model_class = type(model)
    name = _ARGUMENT_BY_CLASS.get(model_class)
    if name is None:
        try:
            # transformers' deprecate_kwarg keeps the signature (functools.wraps): "cache" shows.
            parameters = inspect.signature(model_class.forward).parameters
            name = "cache" if "cache" in parameters else OLD_CACHE_ARGUMENT
        except (AttributeError, TypeError, ValueError):
            name = OLD_CACHE_ARGUMENT
        _ARGUMENT_BY_CLASS[model_class] = name
    return name


def forward_tokens(model: Any, input_ids: torch.Tensor, kv: Any) -> torch.Tensor:
    """Feed input_ids (rows, t) after what ``kv`` holds; return the last position's logits
    (rows, V).

    ``logits_to_keep=1``: the vocabulary projection is the costliest part of a long prefill, and
    only the last position's logits are ever needed.
    """
    with torch.inference_mode():
        out = model(
            input_ids=input_ids, use_cache=True, logits_to_keep=1, **{cache_argument(model): kv}
        )
        return out.logits[:, -1, :]


def prefill_tokens(model: Any, input_ids: torch.Tensor, kv: Any) -> None:
    """Feed input_ids (rows, t) after what ``kv`` holds, computing no logits: a prefill chunk
    whose predictions nobody reads (all but the last).

    Why: even one position's logits read the whole vocabulary projection, the largest weight (262k
    x 640 for Gemma 3): 16 ms a chunk in int8, 98 ms in fp32 and, through a strided bmm, 3.5 s in
    bf16 on the 2-core CPU (see models.loading.output_layer), against 100-300 ms for the rest of a
    96-token chunk. The decoder alone (``get_decoder()``) fills the same cache. Models without
    one (custom or scripted) take the ordinary forward.
    """
    decoder = decoder_of(model)
    if decoder is None:
        forward_tokens(model, input_ids, kv)
        return
    with torch.inference_mode():
        decoder(input_ids=input_ids, use_cache=True, **{cache_argument(decoder): kv})


class ForwardCancelled(Exception):
    """Raised inside a forward by cancellable_layers: the request was cancelled mid-chunk."""


@contextmanager
def cancellable_layers(model: Any, cancelled: threading.Event) -> Iterator[None]:
    """While inside, every decoder layer checks ``cancelled`` before it runs and raises
    ForwardCancelled if it is set.

    Why: a cancel otherwise waits for the running prefill chunk, 150-360 ms for 96 tokens in
    fp32 on the 2-core CPU (DESIGN.md: cancel -> idle <= 100 ms in every precision); one layer
    is a few milliseconds. The layers before the cancel have stored the chunk's keys and values
    and the later ones have not: the caller must crop the cache back
    (PrefixCache.drop_unrecorded). Models without a ``layers`` list in their decoder are
    cancelled between chunks only.
    """

    def check(module: Any, args: Any) -> None:
        if cancelled.is_set():
            raise ForwardCancelled

    handles = [layer.register_forward_pre_hook(check) for layer in decoder_layers(model)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def decode_step(model: Any, tokens: torch.Tensor, kv: Any) -> torch.Tensor:
    """One decode step: tokens (rows, 1) -> logits (rows, V). The Engine keeps it swappable for
    the static cache's (compiled) step."""
    return forward_tokens(model, tokens, kv)


def forward_all_logits(model: Any, input_ids: torch.Tensor, kv: Any, keep: int) -> torch.Tensor:
    """Like forward_tokens, but the logits of the last ``keep`` positions: (rows, keep, V).
    For scoring a known text, where every position's prediction counts."""
    with torch.inference_mode():
        out = model(
            input_ids=input_ids, use_cache=True, logits_to_keep=keep, **{cache_argument(model): kv}
        )
        return out.logits
