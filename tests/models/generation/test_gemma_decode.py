"""The written-out decode step of an int8 Gemma 3 (models.generation.gemma_decode).

What it promises: the same logits as the model's own forward, bit for bit, so greedy decoding
still equals ``generate``. The session-scoped model fixtures must not be modified, so every test
works on a deep copy.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest
import torch
from reference import STORY, generate_greedy
from transformers import DynamicCache

from penwright.models.generation.engine import Engine
from penwright.models.generation.forward import decode_step, forward_tokens, prefill_tokens
from penwright.models.generation.gemma_decode import WRITTEN_OUT_DECODE_PATH, GemmaDecodeStep
from penwright.models.generation.sliding_cache import rollback_cache
from penwright.models.loading.cpu_kernels import choose_cpu_kernels
from penwright.models.loading.quantize import KERNEL_MAX_ROWS, quantize_int8_weight_only
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import ModelSpec
from tests.conftest import TINY_SLIDING_WINDOW

if TYPE_CHECKING:
    from penwright.models.loading.loader import LoadedModel


def _int8_cpu_model(tiny_gemma: LoadedModel, softcap: float | None = None) -> Any:
    """tiny_gemma as a CPU load makes an int8 model: int8 weights and the CPU's layers.

    Its norms get random scales first: a fresh model's are all zero (a scale of exactly 1), which
    would hide a scale applied to the wrong norm or head.
    """
    model = copy.deepcopy(tiny_gemma.model)
    generator = torch.Generator().manual_seed(11)
    for name, parameter in model.named_parameters():
        if name.endswith("norm.weight"):
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)
    model.config.final_logit_softcapping = softcap
    model = quantize_int8_weight_only(model)
    choose_cpu_kernels(model, tiny_gemma.tokenizer)
    return model


def _prefilled(model: Any, prompt: list[int], rows: int) -> Any:
    """A cache holding all of ``prompt`` but its last token, repeated for ``rows`` rows."""
    kv = rollback_cache(model.config)
    prefill_tokens(model, torch.tensor([prompt[:-1]]), kv)
    if rows > 1:
        kv.batch_repeat_interleave(rows)
    return kv


@pytest.mark.parametrize(("rows", "softcap"), [(1, None), (3, None), (1, 30.0)])
def test_every_step_gives_the_logits_of_the_models_forward(
    tiny_gemma: LoadedModel, rows: int, softcap: float | None
) -> None:
    """Steps past several sliding windows, with rows that take different tokens, and with the
    final soft-capping some Gemma configurations set."""
    model = _int8_cpu_model(tiny_gemma, softcap)
    step = GemmaDecodeStep.for_model(model)
    assert step is not None
    prompt = tiny_gemma.tokenizer(STORY)["input_ids"]
    assert len(prompt) > TINY_SLIDING_WINDOW
    by_forward, by_step = _prefilled(model, prompt, rows), _prefilled(model, prompt, rows)
    tokens = torch.tensor([[prompt[-1]]] * rows)
    for _ in range(3 * TINY_SLIDING_WINDOW):
        expected = forward_tokens(model, tokens, by_forward)
        logits = step(model, tokens, by_step)
        assert torch.equal(logits, expected)
        # Row r takes its r-th most likely token, so the rows part ways.
        ranked = expected.topk(rows, dim=-1).indices
        tokens = ranked[torch.arange(rows), torch.arange(rows)].unsqueeze(1)
    assert by_step.get_seq_length() == by_forward.get_seq_length() == len(prompt) - 1 + 48


def test_the_engine_decodes_with_it_and_greedy_equals_generate(tiny_gemma: LoadedModel) -> None:
    model = _int8_cpu_model(tiny_gemma)
    untouched = copy.deepcopy(model)  # never given to the written-out step
    engine = Engine()
    engine.attach(model, tiny_gemma.tokenizer, tiny_gemma.info)
    assert isinstance(engine.decode_step, GemmaDecodeStep)
    assert engine.info is not None and engine.info.decode_path == WRITTEN_OUT_DECODE_PATH
    params = GenerationParams(temperature=0.0, max_new_tokens=24, stop=StopMode.NONE).plain()
    for context in (STORY, STORY + " the keeper could not see the water below."):
        "".join(delta.text for delta in engine.stream(context, params))
        expected = generate_greedy(untouched, engine.last_prompt_ids, params.max_new_tokens)
        assert engine.last_token_ids == expected
        assert expected == generate_greedy(model, engine.last_prompt_ids, params.max_new_tokens)
    assert engine.last_stats.reused_tokens > 0


def test_batched_alternatives_decode_as_with_the_ordinary_step(tiny_gemma: LoadedModel) -> None:
    """Several suggestions at once are rows of one batch, and rows that end leave it: with one
    seed, the same tokens as the ordinary step gives.

    Not compared with generate: int8 logits are bf16, where exact ties are common, and sampling
    keeps tied tokens, so even top_k=1 may pick differently per row.
    """
    model = _int8_cpu_model(tiny_gemma)
    written_out, ordinary = Engine(), Engine()
    written_out.attach(model, tiny_gemma.tokenizer, tiny_gemma.info)
    ordinary.attach(copy.deepcopy(model), tiny_gemma.tokenizer, tiny_gemma.info)
    assert isinstance(written_out.decode_step, GemmaDecodeStep)
    ordinary.decode_step = decode_step
    # A stop on a common letter ends the rows after different numbers of tokens.
    sampled = GenerationParams(
        temperature=1.0, top_k=20, top_p=0.9, max_new_tokens=16, seed=40, n=4,
        stop=StopMode.CUSTOM, stop_strings=("e",),
    )  # fmt: skip
    for engine in (written_out, ordinary):
        list(engine.stream(STORY, sampled))
    batched = written_out.last_alternative_ids
    assert len({len(ids) for ids in batched}) > 1
    assert batched == ordinary.last_alternative_ids
    # Afterwards the cache holds the prompt once, and a single row decodes alike.
    for engine in (written_out, ordinary):
        list(engine.stream(STORY + " the keeper", replace(sampled, n=1, seed=3)))
    assert written_out.last_token_ids == ordinary.last_token_ids


def test_the_joined_projections_hold_their_rows_once(tiny_gemma: LoadedModel) -> None:
    model = _int8_cpu_model(tiny_gemma)
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    assert GemmaDecodeStep.for_model(model) is not None
    after = model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[name], after[name]) for name in before)
    for layer in model.model.layers:
        attention, mlp = layer.self_attn, layer.mlp
        qkv = {p.weight_int8.untyped_storage().data_ptr() for p in
               (attention.q_proj, attention.k_proj, attention.v_proj)}  # fmt: skip
        gate_up = {p.weight_int8.untyped_storage().data_ptr() for p in (mlp.gate_proj, mlp.up_proj)}
        assert len(qkv) == len(gate_up) == 1
        # torch._weight_int8pack_mm crashes the process on weights off a 64-byte boundary.
        for projection in (attention.k_proj, attention.v_proj, mlp.up_proj):
            assert projection.weight_int8.data_ptr() % 64 == 0


def test_attaching_the_model_again_joins_nothing_twice(tiny_gemma: LoadedModel) -> None:
    model = _int8_cpu_model(tiny_gemma)
    assert GemmaDecodeStep.for_model(model) is not None
    q_proj = model.model.layers[0].self_attn.q_proj
    joined = q_proj.weight_int8.untyped_storage().data_ptr()
    engine = Engine()
    engine.attach(model, tiny_gemma.tokenizer, tiny_gemma.info)
    assert isinstance(engine.decode_step, GemmaDecodeStep)
    assert q_proj.weight_int8.untyped_storage().data_ptr() == joined


def test_a_cache_that_shows_sliding_layers_every_key_gets_the_models_forward(
    tiny_gemma: LoadedModel,
) -> None:
    """The step leaves out the mask because the rollback cache hands a sliding layer only its
    window; transformers' own DynamicCache() keeps every key and needs the mask."""
    model = _int8_cpu_model(tiny_gemma)
    step = GemmaDecodeStep.for_model(model)
    assert step is not None
    prompt = tiny_gemma.tokenizer(STORY)["input_ids"]
    assert len(prompt) > 2 * TINY_SLIDING_WINDOW
    by_forward, by_step = DynamicCache(), DynamicCache()
    for kv in (by_forward, by_step):
        prefill_tokens(model, torch.tensor([prompt[:-1]]), kv)
    tokens = torch.tensor([[prompt[-1]]])
    assert torch.equal(step(model, tokens, by_step), forward_tokens(model, tokens, by_forward))


def test_models_it_was_not_written_for_keep_the_ordinary_step(tiny_gemma: LoadedModel) -> None:
    fp32 = copy.deepcopy(tiny_gemma.model)
    assert GemmaDecodeStep.for_model(fp32) is None  # transformers' attention and norms
    choose_cpu_kernels(fp32, tiny_gemma.tokenizer)
    assert GemmaDecodeStep.for_model(fp32) is None  # float projections
    int8_plain = quantize_int8_weight_only(copy.deepcopy(tiny_gemma.model))
    assert GemmaDecodeStep.for_model(int8_plain) is None  # no packed attention
    training = _int8_cpu_model(tiny_gemma).train()
    assert GemmaDecodeStep.for_model(training) is None
    hooked = _int8_cpu_model(tiny_gemma)
    hooked.model.layers[1].mlp.register_forward_hook(lambda *args: None)
    assert GemmaDecodeStep.for_model(hooked) is None

    engine = Engine()
    engine.attach(fp32, tiny_gemma.tokenizer, tiny_gemma.info)
    assert engine.info is not None and engine.info.decode_path == "eager"


def test_a_hook_added_later_gets_the_models_forward(tiny_gemma: LoadedModel) -> None:
    """The engine's cancel check hooks the layers; any hook must see the step it watches."""
    model = _int8_cpu_model(tiny_gemma)
    step = GemmaDecodeStep.for_model(model)
    assert step is not None
    prompt = tiny_gemma.tokenizer(STORY)["input_ids"]
    kv = _prefilled(model, prompt, 1)
    calls: list[int] = []
    handle = model.model.layers[2].register_forward_pre_hook(lambda *args: calls.append(1))
    step(model, torch.tensor([[prompt[-1]]]), kv)
    assert calls == [1]
    handle.remove()
    step(model, torch.tensor([[prompt[-1]]]), kv)
    assert calls == [1]


def test_more_rows_than_the_int8_kernel_takes_get_the_models_forward(
    tiny_gemma: LoadedModel,
) -> None:
    model = _int8_cpu_model(tiny_gemma)
    step = GemmaDecodeStep.for_model(model)
    assert step is not None
    prompt = tiny_gemma.tokenizer(STORY)["input_ids"]
    rows = KERNEL_MAX_ROWS + 1
    by_forward, by_step = _prefilled(model, prompt, rows), _prefilled(model, prompt, rows)
    tokens = torch.tensor([[prompt[-1]]] * rows)
    assert torch.equal(step(model, tokens, by_step), forward_tokens(model, tokens, by_forward))


@pytest.mark.real_model
def test_the_default_int8_model_decodes_through_it() -> None:
    """The bundled model as the app loads it: greedy over a document longer than the sliding
    window equals generate on the same int8 model."""
    engine = Engine()
    info = engine.load(ModelSpec(source="default", device="cpu", precision="int8"))
    assert info.decode_path == WRITTEN_OUT_DECODE_PATH
    context = (STORY + " ") * 16
    params = GenerationParams(temperature=0.0, max_new_tokens=16, stop=StopMode.NONE).plain()
    "".join(delta.text for delta in engine.stream(context, params))
    assert len(engine.last_prompt_ids) > 512
    model = engine.model
    assert engine.last_token_ids == generate_greedy(
        model, engine.last_prompt_ids, params.max_new_tokens
    )
