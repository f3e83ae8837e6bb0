"""A KV cache that can be cropped to any length and still lets sliding-window layers slide.

Why not what transformers ships (checked with 5.23):
- ``DynamicCache()`` without a config keeps every layer full. Cropping works, but Gemma 3's
  sliding-window layers (window 512) then attend over the whole context (the mask hides what is
  out of the window): about 12% slower decoding on a 2,000-token document.
- ``DynamicCache(config=...)`` makes ``DynamicSlidingWindowLayer``s that drop what slides out of
  the window; even with ``activate_past_recording()`` they only keep what was added since the
  last ``crop``, so the prefix cache could not roll back to an earlier request's prompt.

So every layer here STORES all positions (``crop(-n)`` works at any length), and a sliding layer
HANDS the attention only the last ``sliding_window - 1 + new`` of them, reporting mask sizes the
way ``DynamicSlidingWindowLayer.get_mask_sizes`` does, so transformers builds the matching mask.

``DynamicLayer.update`` concatenates, copying the whole cache on every decode step; these layers
write into a buffer with room to grow instead (like gpt-fast's preallocated cache).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

# Buffers grow by half again (rounded up to this many positions), so appending is amortised
# O(new) while a 2,000-token document wastes at most a third of its KV memory.
_GROWTH_QUANTUM = 256


class GrowingLayer(DynamicLayer):
    """A full-attention layer whose keys/values are views of a buffer with room to grow."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key_buffer: torch.Tensor | None = None
        self._value_buffer: torch.Tensor | None = None

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Append the new keys/values; return all that the layer holds."""
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        held = self.get_seq_length()
        total = held + key_states.shape[-2]
        if not self._fits(key_states, value_states, total):
            self._reallocate(key_states, value_states, held, total)
        assert self._key_buffer is not None and self._value_buffer is not None
        self._key_buffer[..., held:total, :].copy_(key_states)
        self._value_buffer[..., held:total, :].copy_(value_states)
        self.keys = self._key_buffer[..., :total, :]
        self.values = self._value_buffer[..., :total, :]
        return self.keys, self.values

    def _fits(self, key_states: torch.Tensor, value_states: torch.Tensor, total: int) -> bool:
        """Whether the new states can be written in place: ``keys``/``values`` are still views
        of the buffers (crop slices them; batch_select_indices and friends replace them) and
        the buffers are long enough."""
        keys, values = self.keys, self.values
        key_buffer, value_buffer = self._key_buffer, self._value_buffer
        if key_buffer is None or value_buffer is None or keys is None or values is None:
            return False
        return (
            key_buffer.shape[-2] >= total
            and keys.data_ptr() == key_buffer.data_ptr()
            and values.data_ptr() == value_buffer.data_ptr()
            and keys.shape[:2] == key_buffer.shape[:2] == key_states.shape[:2]
            and values.shape[:2] == value_buffer.shape[:2] == value_states.shape[:2]
            and key_buffer.dtype == key_states.dtype
        )

    def _reallocate(
        self, key_states: torch.Tensor, value_states: torch.Tensor, held: int, total: int
    ) -> None:
        """New buffers with room for ``total`` positions and more; the held states copied in."""
        capacity = -(-(total + total // 2) // _GROWTH_QUANTUM) * _GROWTH_QUANTUM
        key_buffer = key_states.new_empty((*key_states.shape[:-2], capacity, key_states.shape[-1]))
        value_buffer = value_states.new_empty(
            (*value_states.shape[:-2], capacity, value_states.shape[-1])
        )
        if held and self.keys is not None and self.values is not None:
            key_buffer[..., :held, :].copy_(self.keys)
            value_buffer[..., :held, :].copy_(self.values)
        self._key_buffer, self._value_buffer = key_buffer, value_buffer

    def reset(self) -> None:
        self._key_buffer = self._value_buffer = None
        super().reset()


class RollbackSlidingLayer(GrowingLayer):
    """A sliding-window layer that keeps all positions so it can be cropped anywhere, but shows
    the attention only the window (what ``DynamicSlidingWindowLayer`` would show)."""

    is_sliding = True

    def __init__(self, sliding_window: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sliding_window = sliding_window

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Append the new keys/values; return the last ``sliding_window - 1 + new`` positions,
        the length ``get_mask_sizes`` promised before this update."""
        keys, values = super().update(key_states, value_states)
        visible = self.sliding_window - 1 + key_states.shape[-2]
        return keys[..., -visible:, :], values[..., -visible:, :]

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        """(kv_length, kv_offset) of what the next update returns, as in
        ``DynamicSlidingWindowLayer.get_mask_sizes`` (there ``cumulative_length`` is our held
        length)."""
        held = self.get_seq_length()
        kv_offset = max(held - self.sliding_window + 1, 0)
        if held >= self.sliding_window:
            return self.sliding_window - 1 + query_length, kv_offset
        return held + query_length, kv_offset


def rollback_cache(config: Any | None = None) -> DynamicCache:
    """A cache for a model with ``config``: growing full layers, rollback-able sliding layers.

    Without a config, or for a model without sliding-window layers, every layer is full. Layer
    kinds other than full and sliding attention (linear, chunked...) get transformers' own
    ``DynamicCache()``, untouched.
    """
    text_config = config.get_text_config(decoder=True) if config is not None else None
    layer_types = getattr(text_config, "layer_types", None)
    window = getattr(text_config, "sliding_window", None)
    cache = DynamicCache()
    if layer_types and not set(layer_types) <= {"full_attention", "sliding_attention"}:
        return cache
    if not layer_types:
        cache.layer_class_to_replicate = GrowingLayer
        return cache
    cache.layers = [
        RollbackSlidingLayer(window)
        if kind == "sliding_attention" and window
        else GrowingLayer()
        for kind in layer_types
    ]
    return cache
