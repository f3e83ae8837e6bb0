"""models.generation.sliding_cache on the tiny Gemma 3 (window TINY_SLIDING_WINDOW, far below the
texts)."""

from __future__ import annotations

from typing import Any

import torch

from penwright.models.generation.forward import cache_argument
from penwright.models.generation.sliding_cache import (
    GrowingLayer,
    RollbackSlidingLayer,
    rollback_cache,
)
from tests.conftest import TINY_SLIDING_WINDOW


def last_logits(model: Any, ids: list[int], kv: Any) -> torch.Tensor:
    with torch.inference_mode():
        out = model(input_ids=torch.tensor([ids]), use_cache=True, **{cache_argument(model): kv})
    return out.logits[0, -1]


def prefill_in_chunks(model: Any, ids: list[int], kv: Any, chunk: int) -> torch.Tensor:
    logits = torch.empty(0)
    for start in range(0, len(ids), chunk):
        logits = last_logits(model, ids[start : start + chunk], kv)
    return logits


def test_layers_follow_the_config(tiny_gemma: Any) -> None:
    kv = rollback_cache(tiny_gemma.model.config)
    kinds = [type(layer) for layer in kv.layers]
    assert kinds == [RollbackSlidingLayer, RollbackSlidingLayer, GrowingLayer, RollbackSlidingLayer]
    assert kv.is_sliding == [True, True, False, True]


def test_sliding_layer_stores_everything_but_shows_only_the_window() -> None:
    layer = RollbackSlidingLayer(sliding_window=4)
    layer.update(torch.zeros(1, 1, 10, 2), torch.zeros(1, 1, 10, 2))
    assert layer.get_mask_sizes(query_length=1) == (4, 7)  # window - 1 + 1 positions from 7
    keys, values = layer.update(torch.ones(1, 1, 1, 2), torch.ones(1, 1, 1, 2))
    assert keys.shape[-2] == values.shape[-2] == 4
    assert layer.get_seq_length() == 11
    layer.crop(-9)
    assert layer.get_seq_length() == 2
    assert layer.get_mask_sizes(query_length=3) == (5, 0)


def test_growing_layer_appends_in_place_and_survives_batch_changes() -> None:
    layer = GrowingLayer()
    first = torch.arange(6.0).reshape(1, 1, 3, 2)
    keys, _ = layer.update(first, first)
    buffer_address = keys.data_ptr()
    second = torch.full((1, 1, 1, 2), 9.0)
    keys, _ = layer.update(second, second)
    assert keys.data_ptr() == buffer_address  # written into the buffer, not concatenated
    assert torch.equal(keys, torch.cat([first, second], dim=-2))
    layer.batch_repeat_interleave(2)
    keys, _ = layer.update(torch.zeros(2, 1, 1, 2), torch.zeros(2, 1, 1, 2))
    assert keys.shape == (2, 1, 5, 2)
    assert torch.equal(keys[1, :, :4], torch.cat([first, second], dim=-2)[0])


def test_logits_equal_a_cacheless_forward_after_chunks_crop_and_replay(tiny_gemma: Any) -> None:
    model = tiny_gemma.model
    ids = tiny_gemma.tokenizer(" ".join(f"word{i}" for i in range(60)))["input_ids"]
    assert len(ids) > 4 * TINY_SLIDING_WINDOW
    reference = last_logits(model, ids, None)

    kv = rollback_cache(model.config)
    assert torch.allclose(prefill_in_chunks(model, ids, kv, chunk=7), reference, atol=1e-5)

    # Roll back far past the window, then feed the same tokens again.
    cut = 3 * TINY_SLIDING_WINDOW
    kv.crop(-cut)
    assert kv.get_seq_length() == len(ids) - cut
    replayed = prefill_in_chunks(model, ids[-cut:], kv, chunk=5)
    assert torch.allclose(replayed, reference, atol=1e-5)
