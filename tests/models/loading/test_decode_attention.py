"""Decode attention, grouped queries packed per key/value head (models.loading.decode_attention).

The session-scoped model fixtures must not be modified, so every test changes a deep copy.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import pytest
import torch
from reference import STORY, generate_greedy
from torch import nn
from transformers.integrations.sdpa_attention import sdpa_attention_forward

from penwright.models.generation.engine import Engine
from penwright.models.loading.decode_attention import (
    PACKED_DECODE_ATTENTION,
    packed_decode_attention,
    use_packed_decode_attention,
)
from penwright.models.loading.quantize import quantize_int8_weight_only
from penwright.models.params import GenerationParams, StopMode

if TYPE_CHECKING:
    from penwright.models.loading.loader import LoadedModel


class _Attention(nn.Module):
    """What the attention functions read from a layer: its query heads per key/value head."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.num_key_value_groups = groups
        self.is_causal = True


def _qkv(
    batch: int, heads: int, kv_heads: int, queries: int, keys: int, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(3)
    q = torch.randn(batch, heads, queries, 32, generator=generator).to(dtype)
    k = torch.randn(batch, kv_heads, keys, 32, generator=generator).to(dtype)
    v = torch.randn(batch, kv_heads, keys, 32, generator=generator).to(dtype)
    return q, k, v


@pytest.mark.parametrize("kv_heads", [1, 2])
def test_one_new_token_attends_as_transformers_sdpa_does(kv_heads: int) -> None:
    module = _Attention(groups=4)
    q, k, v = _qkv(2, 4 * kv_heads, kv_heads, 1, 37, torch.float32)
    packed, _ = packed_decode_attention(module, q, k, v, None, scaling=0.125)
    reference, _ = sdpa_attention_forward(module, q, k, v, None, scaling=0.125)
    assert packed.shape == reference.shape == (2, 1, 4 * kv_heads, 32)
    torch.testing.assert_close(packed, reference, rtol=1e-5, atol=1e-6)


def test_a_mask_shared_by_the_heads_still_hides_padding() -> None:
    """Batched rows of different lengths (left padding): the padded keys stay unseen."""
    module = _Attention(groups=4)
    q, k, v = _qkv(2, 4, 1, 1, 20, torch.float32)
    mask = torch.ones(2, 1, 1, 20, dtype=torch.bool)
    mask[1, ..., :7] = False
    packed, _ = packed_decode_attention(module, q, k, v, mask, scaling=0.125)
    reference, _ = sdpa_attention_forward(module, q, k, v, mask, scaling=0.125)
    torch.testing.assert_close(packed, reference, rtol=1e-5, atol=1e-6)
    # And the mask mattered: the second row without it differs.
    unmasked, _ = packed_decode_attention(module, q, k, v, None, scaling=0.125)
    assert not torch.allclose(unmasked[1], packed[1])


def test_bf16_decode_stays_as_close_to_fp32_as_transformers_sdpa() -> None:
    module = _Attention(groups=4)
    q, k, v = _qkv(1, 4, 1, 1, 600, torch.bfloat16)
    exact, _ = sdpa_attention_forward(module, q.float(), k.float(), v.float(), None, scaling=0.0625)
    packed, _ = packed_decode_attention(module, q, k, v, None, scaling=0.0625)
    reference, _ = sdpa_attention_forward(module, q, k, v, None, scaling=0.0625)
    packed_error = (packed.float() - exact).abs().max()
    reference_error = (reference.float() - exact).abs().max()
    assert packed_error <= 2 * reference_error + 1e-3, (packed_error, reference_error)


def test_prefill_chunks_go_to_transformers_sdpa_unchanged() -> None:
    module = _Attention(groups=4)
    q, k, v = _qkv(1, 4, 1, 9, 9, torch.float32)
    packed, _ = packed_decode_attention(module, q, k, v, None, scaling=0.125)
    reference, _ = sdpa_attention_forward(module, q, k, v, None, scaling=0.125)
    assert torch.equal(packed, reference)


def test_engine_greedy_with_packed_attention_equals_generate(tiny_gemma: LoadedModel) -> None:
    """The tiny model has 2 query heads per key/value head and sliding layers, as Gemma 3 does;
    the prefix cache is reused on the second context."""
    model = copy.deepcopy(tiny_gemma.model)
    assert use_packed_decode_attention(model)
    assert model.config._attn_implementation == PACKED_DECODE_ATTENTION
    engine = Engine()
    engine.attach(model, tiny_gemma.tokenizer, tiny_gemma.info)
    params = GenerationParams(temperature=0.0, max_new_tokens=24, stop=StopMode.NONE).plain()
    sdpa = copy.deepcopy(tiny_gemma.model)
    for context in (STORY, STORY + " the keeper could not see the water below."):
        "".join(delta.text for delta in engine.stream(context, params))
        assert engine.last_token_ids == generate_greedy(
            model, engine.last_prompt_ids, params.max_new_tokens
        )
        # The same tokens as transformers' own attention gives.
        assert engine.last_token_ids == generate_greedy(
            sdpa, engine.last_prompt_ids, params.max_new_tokens
        )
    assert engine.last_stats.reused_tokens > 0


def test_int8_model_decodes_the_same_tokens_with_packed_attention(
    tiny_gemma: LoadedModel,
) -> None:
    """bf16 compute: the packed layout changes only the kernel's order of additions."""
    model = quantize_int8_weight_only(copy.deepcopy(tiny_gemma.model))
    reference = copy.deepcopy(model)
    use_packed_decode_attention(model)
    prompt = tiny_gemma.tokenizer(STORY)["input_ids"]
    assert generate_greedy(model, prompt, 16) == generate_greedy(reference, prompt, 16)


def test_a_model_with_another_attention_keeps_it(tiny_gemma: LoadedModel) -> None:
    model = copy.deepcopy(tiny_gemma.model)
    model.set_attn_implementation("eager")
    assert not use_packed_decode_attention(model)
    assert model.config._attn_implementation == "eager"


def test_cpu_loads_use_it_and_diagnostics_say_so(default_model: LoadedModel) -> None:
    assert default_model.model.config._attn_implementation == PACKED_DECODE_ATTENTION
    assert "decode attention: grouped queries packed" in default_model.info.kernels
