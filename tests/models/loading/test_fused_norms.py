"""Gemma 3's RMSNorms fused into one kernel call each (models.loading.fused_norms).

The session-scoped model fixtures must not be modified, so every test changes a deep copy.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import pytest
import torch
from reference import STORY, generate_greedy
from transformers.models.gemma3.modeling_gemma3 import Gemma3RMSNorm

from penwright.models.loading.fused_norms import FusedGemmaRMSNorm, fuse_gemma_norms
from penwright.models.loading.quantize import quantize_int8_weight_only

if TYPE_CHECKING:
    from penwright.models.loading.loader import LoadedModel


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("shape", [(1, 1, 640), (2, 4, 3, 256), (1, 300, 640)])
def test_fused_norm_equals_gemma_norm_bit_for_bit(
    shape: tuple[int, ...], dtype: torch.dtype
) -> None:
    generator = torch.Generator().manual_seed(5)
    norm = Gemma3RMSNorm(shape[-1], eps=1e-6)
    norm.weight.data = torch.randn(shape[-1], generator=generator) * 0.3
    x = (torch.randn(*shape, generator=generator) * 4).to(dtype)
    with torch.inference_mode():
        expected = norm(x)
        fused = FusedGemmaRMSNorm(norm)(x)
    assert fused.dtype == expected.dtype == dtype
    assert torch.equal(fused, expected)


def test_every_norm_is_fused_and_the_state_dict_is_unchanged(tiny_gemma: LoadedModel) -> None:
    model = copy.deepcopy(tiny_gemma.model)
    keys = set(model.state_dict())
    # 4 layers x (input, post-attention, pre- and post-feedforward, query, key) + the final one.
    assert fuse_gemma_norms(model) == 4 * 6 + 1
    assert not any(type(m) is Gemma3RMSNorm for m in model.modules())
    assert set(model.state_dict()) == keys


@pytest.mark.parametrize("int8", [False, True])
def test_greedy_decoding_is_unchanged(tiny_gemma: LoadedModel, int8: bool) -> None:
    reference = copy.deepcopy(tiny_gemma.model)
    if int8:
        reference = quantize_int8_weight_only(reference)
    fused = copy.deepcopy(reference)
    fuse_gemma_norms(fused)
    prompt = tiny_gemma.tokenizer(STORY)["input_ids"]
    with torch.inference_mode():
        ids = torch.tensor([prompt])
        assert torch.equal(fused(ids).logits, reference(ids).logits)
    assert generate_greedy(fused, prompt, 16) == generate_greedy(reference, prompt, 16)


def test_cpu_loads_use_it_and_diagnostics_say_so(default_model: LoadedModel) -> None:
    assert any(isinstance(m, FusedGemmaRMSNorm) for m in default_model.model.modules())
    assert "RMSNorm: fused" in default_model.info.kernels
