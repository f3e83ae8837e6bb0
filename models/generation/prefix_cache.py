"""The prefix KV cache: the keys/values of the last request, reused by the next one.

We keep exactly the token ids whose keys/values are in the cache. A new request keeps the longest
common token prefix, crops the rest, and prefills only what is new. At least one token is always
fed again, because the model only returns logits for tokens it is given.

Gemma 3 has sliding-window layers. A ``DynamicCache(config=...)`` gives them sliding layers that
cannot roll back past the window, so we use models.generation.sliding_cache: every layer keeps all
positions,
so ``crop(-n)`` works at any length, while sliding layers attend only over their window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from penwright.models.generation.sliding_cache import rollback_cache


class PrefixCache:
    """Token ids and KV cache of what the model has seen. One owner thread; not thread-safe."""

    def __init__(self, config: Any | None = None, new_kv: Callable[[], Any] | None = None) -> None:
        """``config``: the model's config, which says which layers are sliding-window ones.
        ``new_kv``: makes an empty KV cache instead (the GPU path's static cache rewound to the
        start); it needs ``crop(-n)`` like the rollback cache."""
        self._new_kv = new_kv or partial(rollback_cache, config)
        self.kv = self._new_kv()
        self.ids: list[int] = []

    def reuse(self, new_ids: Sequence[int]) -> int:
        """Crop the cache to the part of ``new_ids`` it already holds; return that length.

        The length returned is below ``len(new_ids)``, so the caller always feeds at least the
        last token and gets logits for it.
        """
        keep = min(common_prefix_length(self.ids, new_ids), len(new_ids) - 1)
        surplus = len(self.ids) - keep
        if keep == 0:
            self.clear()
        elif surplus > 0:
            self.kv.crop(-surplus)
            del self.ids[keep:]
        return keep

    def extend(self, ids: Sequence[int]) -> None:
        """Record that the model has just seen ``ids`` (their keys/values are now in ``kv``)."""
        self.ids.extend(ids)

    def drop_unrecorded(self) -> None:
        """Crop every layer back to the ids recorded, after a forward that stopped partway
        (models.generation.forward.cancellable_layers): the layers it reached hold keys and
        values the others lack. Clears the cache if a layer cannot say its length."""
        recorded = len(self.ids)
        layers = getattr(self.kv, "layers", None)
        if layers is None:
            self.clear()
            return
        for layer in layers:
            surplus = int(layer.get_seq_length()) - recorded
            if surplus > 0:
                layer.crop(-surplus)

    def clear(self) -> None:
        """Forget everything, e.g. after an error left the cache in an unknown state."""
        self.kv = self._new_kv()
        self.ids = []


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading items ``a`` and ``b`` share."""
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length
