"""The CPU's output layers: a 2-D product for float models, int8 x int8 for int8 models.

The session-scoped model fixtures must not be modified, so every test changes a deep copy.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

import pytest
import torch
from reference import STORY, generate_greedy
from torch import nn
from transformers import DynamicCache

from penwright.models.generation.engine import Engine
from penwright.models.generation.forward import forward_tokens, prefill_tokens
from penwright.models.loading import output_layer
from penwright.models.loading.output_layer import (
    OUTLIER_DIMENSIONS,
    FoldedLinear,
    Int8ActivationLinear,
    fold_output_layer,
    integer_kernel_available,
    speed_up_int8_output_layer,
)
from penwright.models.loading.quantize import Int8Linear, quantize_int8_weight_only
from penwright.models.params import GenerationParams, StopMode

if TYPE_CHECKING:
    from penwright.models.loading.loader import LoadedModel

needs_kernel = pytest.mark.skipif(
    not integer_kernel_available(), reason="this torch build has no quantized engine"
)

HELD_OUT = (
    "The ferry left at dawn, and Ines stood at the rail until the island was only a grey line. "
    "She had packed the letters at the bottom of the suitcase, under the winter coat she would "
    "not need, as if burying them would make them lighter.\n\n"
    "雨停了以后，街上的石板路闪着光。老陈把伞收起来，站在书店门口犹豫了很久，"  # noqa: RUF001
    "终于推门走了进去。店里只有一盏灯亮着，柜台后面的女人抬起头，好像早就在等他。"  # noqa: RUF001
)
"""Text the calibration never reads, in both languages."""


def _int8_copy(model: Any) -> Any:
    return quantize_int8_weight_only(copy.deepcopy(model))


def _perplexity(model: Any, ids: list[int]) -> float:
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([ids])).logits.float()
    nll = nn.functional.cross_entropy(logits[0, :-1], torch.tensor(ids[1:]))
    return math.exp(float(nll))


# ---------------------------------------------------------------------------------------------
# Float models


def test_folded_linear_equals_linear_on_a_strided_view() -> None:
    torch.manual_seed(0)
    plain = nn.Linear(64, 300, bias=True).to(torch.bfloat16)
    folded = FoldedLinear(64, 300, bias=True, dtype=torch.bfloat16)
    folded.load_state_dict(plain.state_dict())
    chunk = torch.randn(2, 7, 64, dtype=torch.bfloat16)
    last = chunk[:, -1:, :]  # what logits_to_keep=1 hands the output layer
    assert last.stride() == (7 * 64, 64, 1)
    expected = plain(last.reshape(2, 64))
    assert folded(last).shape == (2, 1, 300)
    torch.testing.assert_close(folded(last).reshape(2, 300), expected, rtol=0, atol=0)


def test_folding_keeps_the_tied_weight_and_the_logits(tiny_gemma: LoadedModel) -> None:
    model = copy.deepcopy(tiny_gemma.model)
    ids = tiny_gemma.tokenizer(STORY, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        before = model(input_ids=ids, logits_to_keep=1).logits
    assert fold_output_layer(model)
    head = model.get_output_embeddings()
    assert isinstance(head, FoldedLinear)
    assert head.weight is model.get_input_embeddings().weight, "still tied"
    with torch.inference_mode():
        torch.testing.assert_close(model(input_ids=ids, logits_to_keep=1).logits, before)
    assert not fold_output_layer(model), "folding twice replaces nothing"


# ---------------------------------------------------------------------------------------------
# int8 x int8


@needs_kernel
def test_int8_activation_linear_tracks_the_weight_only_product() -> None:
    torch.manual_seed(0)
    weight = torch.randn(512, 128) * 0.05
    reference = Int8Linear(*_rows(weight), None, torch.bfloat16)
    x = torch.randn(3, 128)
    x[:, 5] *= 40  # an outlier dimension, as the real model's hidden states have
    fast = Int8ActivationLinear(
        reference.weight_int8, reference.scales, torch.tensor([5]), None, torch.bfloat16
    )
    assert fast(x).shape == (3, 512) and fast(x).dtype == torch.bfloat16
    y, expected = fast(x).float(), reference(x).float()
    assert float((y - expected).norm() / expected.norm()) < 0.02
    without_split = Int8ActivationLinear(
        reference.weight_int8, reference.scales, torch.tensor([0]), None, torch.bfloat16
    )
    error_split = float((y - expected).norm())
    error_plain = float((without_split(x).float() - expected).norm())
    assert error_split < error_plain, "keeping the outlier in fp32 is what makes it accurate"


def _rows(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    from penwright.models.loading.quantize import quantize_rows_int8

    return quantize_rows_int8(weight)


@needs_kernel
def test_each_row_is_quantized_on_its_own() -> None:
    """A row's logits do not depend on its batch: batched alternatives equal single requests."""
    torch.manual_seed(1)
    q, scales = _rows(torch.randn(256, 64))
    fast = Int8ActivationLinear(q, scales, torch.tensor([1, 2]), None, torch.bfloat16)
    rows = torch.randn(4, 1, 64)
    rows[2] *= 100  # a row with a far larger range would coarsen a shared scale
    batched = fast(rows)
    for i in range(4):
        torch.testing.assert_close(batched[i], fast(rows[i : i + 1])[0], rtol=0, atol=0)


@needs_kernel
def test_speed_up_replaces_the_int8_head_and_says_why(tiny_gemma: LoadedModel) -> None:
    model = _int8_copy(tiny_gemma.model)
    account = speed_up_int8_output_layer(model, tiny_gemma.tokenizer)
    head = model.get_output_embeddings()
    assert isinstance(head, Int8ActivationLinear)
    assert len(head.outlier_dims) == min(OUTLIER_DIMENSIONS, 64)
    assert "int8 x int8" in account and "engine" in account
    assert isinstance(model.get_input_embeddings().weight_int8, torch.Tensor), "lookup kept"


def test_without_the_kernel_the_weight_only_head_stays(
    tiny_gemma: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output_layer, "integer_kernel_available", lambda: False)
    model = _int8_copy(tiny_gemma.model)
    account = speed_up_int8_output_layer(model, tiny_gemma.tokenizer)
    assert isinstance(model.get_output_embeddings(), Int8Linear)
    assert "weight-only int8" in account and "no quantized engine" in account


def test_float_models_keep_their_head(tiny_gemma: LoadedModel) -> None:
    model = copy.deepcopy(tiny_gemma.model)
    assert speed_up_int8_output_layer(model, tiny_gemma.tokenizer) == "output layer: as loaded"
    assert type(model.get_output_embeddings()) is nn.Linear


@needs_kernel
def test_engine_greedy_with_the_int8_x_int8_head_equals_generate(tiny_gemma: LoadedModel) -> None:
    model = _int8_copy(tiny_gemma.model)
    speed_up_int8_output_layer(model, tiny_gemma.tokenizer)
    engine = Engine()
    engine.attach(model, tiny_gemma.tokenizer, tiny_gemma.info)
    params = GenerationParams(temperature=0.0, max_new_tokens=12, stop=StopMode.NONE).plain()
    for context in (STORY, STORY + " the keeper could not see the water below."):
        "".join(delta.text for delta in engine.stream(context, params))
        assert engine.last_token_ids == generate_greedy(
            model, engine.last_prompt_ids, params.max_new_tokens
        )
    assert engine.last_stats.reused_tokens > 0


@needs_kernel
def test_real_model_perplexity_stays_within_half_a_percent(default_model: LoadedModel) -> None:
    """On text the calibration never saw, English and Chinese, against the weight-only head."""
    model = _int8_copy(default_model.model)
    tokenizer = default_model.tokenizer
    ids = tokenizer(HELD_OUT)["input_ids"]
    weight_only = _perplexity(model, ids)
    speed_up_int8_output_layer(model, tokenizer)
    fast = _perplexity(model, ids)
    assert abs(fast / weight_only - 1) < 0.005, (fast, weight_only)


# ---------------------------------------------------------------------------------------------
# Prefill without logits


def test_prefill_without_logits_fills_the_same_cache(tiny_gemma: LoadedModel) -> None:
    model = tiny_gemma.model
    ids = tiny_gemma.tokenizer(STORY, return_tensors="pt")["input_ids"]
    cut = ids.shape[1] - 3
    by_forward, by_decoder = DynamicCache(), DynamicCache()
    forward_tokens(model, ids[:, :cut], by_forward)
    prefill_tokens(model, ids[:, :cut], by_decoder)
    assert by_decoder.get_seq_length() == by_forward.get_seq_length() == cut
    torch.testing.assert_close(
        forward_tokens(model, ids[:, cut:], by_decoder),
        forward_tokens(model, ids[:, cut:], by_forward),
        rtol=0,
        atol=0,
    )


def test_prefill_of_a_model_without_a_decoder_takes_the_forward() -> None:
    calls: list[int] = []

    class NoDecoder(nn.Module):
        def forward(self, input_ids: torch.Tensor, **kwargs: Any) -> Any:
            calls.append(input_ids.shape[1])
            return type("Out", (), {"logits": torch.zeros(1, input_ids.shape[1], 5)})()

    prefill_tokens(NoDecoder(), torch.zeros((1, 4), dtype=torch.long), None)
    assert calls == [4]
