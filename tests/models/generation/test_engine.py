"""The engine on a tiny random Gemma 3: greedy output equals model.generate, with the prefix cache.

The tiny model's sliding window is far shorter than the long documents below, so cropping and
reusing the cache across sliding-window layers is exercised.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import pytest
import torch
from engine_faults import out_of_memory_once
from reference import STORY, generate_greedy

import penwright.models.generation.engine as engine_module
from penwright.models.errors import EngineError, GenerationError, ModelLoadError, ParamsError
from penwright.models.generation.engine import Engine
from penwright.models.loading.output_layer import FoldedLinear
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import ModelSpec

GREEDY = GenerationParams(temperature=0.0, max_new_tokens=12, stop=StopMode.NONE).plain()

LONG_STORY = " ".join(
    f"Line {i} of the long ledger says the tide was {i % 7} feet." for i in range(60)
)


def run(engine: Engine, context: str, params: GenerationParams = GREEDY) -> str:
    return "".join(delta.text for delta in engine.stream(context, params))


@pytest.fixture
def engine(tiny_gemma: Any) -> Engine:
    engine = Engine()
    engine.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info)
    return engine


def assert_matches_generate(engine: Engine, loaded: Any, context: str) -> None:
    run(engine, context)
    prompt_ids = loaded.tokenizer(context)["input_ids"]
    assert engine.last_prompt_ids == prompt_ids
    assert engine.last_token_ids == generate_greedy(loaded.model, prompt_ids, GREEDY.max_new_tokens)


def test_fresh_request_equals_generate(engine: Engine, tiny_gemma: Any) -> None:
    assert_matches_generate(engine, tiny_gemma, STORY)
    assert engine.last_stats.reused_tokens == 0
    assert engine.last_stats.stop_reason == "length"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (STORY, STORY + " the keeper could not see the water below."),  # appended
        (STORY, STORY[: len(STORY) // 2]),  # deleted at the end
        (STORY, "A" + STORY[1:]),  # edited at the very start
        (STORY, STORY.replace("every evening", "each morning")),  # edited early
        (LONG_STORY, LONG_STORY + " The keeper wrote it all down."),  # beyond the window
        (LONG_STORY, LONG_STORY.replace("Line 3 ", "Row 3 ")),  # early edit of a long text
    ],
    ids=["append", "delete", "edit-start", "edit-early", "long-append", "long-edit-early"],
)
def test_request_after_an_edit_equals_generate(
    engine: Engine, tiny_gemma: Any, first: str, second: str
) -> None:
    assert_matches_generate(engine, tiny_gemma, first)
    assert_matches_generate(engine, tiny_gemma, second)


def test_appending_reuses_the_cached_prefix(engine: Engine, tiny_gemma: Any) -> None:
    run(engine, LONG_STORY)
    first_prompt = engine.last_stats.prompt_tokens
    assert first_prompt > 4 * tiny_gemma.model.config.sliding_window
    run(engine, LONG_STORY + " More.")
    assert engine.last_stats.reused_tokens >= first_prompt - 2


def test_repeating_a_request_reuses_all_but_one_token(engine: Engine) -> None:
    first = run(engine, STORY)
    assert run(engine, STORY) == first
    assert engine.last_stats.reused_tokens == engine.last_stats.prompt_tokens - 1


def test_repetition_penalty_matches_generate(engine: Engine, tiny_gemma: Any) -> None:
    params = GenerationParams(
        temperature=0.0, repetition_penalty=1.5, max_new_tokens=12, stop=StopMode.NONE
    ).plain()
    run(engine, STORY, params)
    prompt_ids = tiny_gemma.tokenizer(STORY)["input_ids"]
    expected = generate_greedy(tiny_gemma.model, prompt_ids, 12, repetition_penalty=1.5)
    assert engine.last_token_ids == expected


def test_streamed_text_is_the_decoded_generated_ids(engine: Engine, tiny_gemma: Any) -> None:
    params = GenerationParams(
        temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=30, seed=3, stop=StopMode.NONE
    ).plain()
    text = run(engine, STORY, params)
    ids = engine.last_token_ids
    assert text == tiny_gemma.tokenizer.decode(ids, skip_special_tokens=True)
    assert "\ufffd" not in text or "\ufffd" in tiny_gemma.tokenizer.decode(ids)


def test_same_seed_same_text_and_alternatives_differ(engine: Engine) -> None:
    params = GenerationParams(
        temperature=1.2, top_k=0, top_p=1.0, max_new_tokens=10, seed=7, n=3, stop=StopMode.NONE
    )
    deltas = list(engine.stream(STORY, params))
    first_run = engine.last_alternative_ids
    assert {d.alternative for d in deltas} == {0, 1, 2}
    assert len(set(map(tuple, first_run))) == 3
    list(engine.stream(STORY, params))
    assert engine.last_alternative_ids == first_run
    assert engine.last_stats.new_tokens == 30


def test_plain_greedy_generates_one_alternative_however_many_are_asked(engine: Engine) -> None:
    params = GenerationParams(temperature=0.0, max_new_tokens=5, n=4, stop=StopMode.NONE).plain()
    assert {d.alternative for d in engine.stream(STORY, params)} == {0}
    assert len(engine.last_alternative_ids) == 1


def test_context_budget_keeps_the_end_of_the_text(engine: Engine, tiny_gemma: Any) -> None:
    params = GenerationParams(
        temperature=0.0, max_new_tokens=4, stop=StopMode.NONE, context_tokens=64
    ).plain()
    run(engine, LONG_STORY, params)
    prompt = tiny_gemma.tokenizer.decode(engine.last_prompt_ids, skip_special_tokens=True)
    assert len(engine.last_prompt_ids) <= 64
    assert LONG_STORY.endswith(prompt)
    run(engine, LONG_STORY + " And", params)
    assert engine.last_stats.reused_tokens > 32, "an unchanged cut point lets the cache hit"


@pytest.mark.parametrize(
    "bad",
    [
        {"temperature": -1.0},
        {"top_p": 7.0},
        {"top_k": -3},
        {"max_new_tokens": 0},
        {"n": 0},
        {"stop": "sometimes"},
        {"stop": StopMode.CUSTOM},
        {"seed": -1},
    ],
)
def test_nonsense_params_raise_params_error_and_engine_stays_usable(
    engine: Engine, tiny_gemma: Any, bad: dict[str, Any]
) -> None:
    with pytest.raises(ParamsError):
        GenerationParams(**bad)
    assert_matches_generate(engine, tiny_gemma, STORY)


def test_params_corrupted_after_construction_are_refused_by_stream(engine: Engine) -> None:
    params = GenerationParams(temperature=0.0)
    object.__setattr__(params, "top_p", 7.0)
    with pytest.raises(ParamsError, match="top_p"):
        engine.stream(STORY, params)


def test_context_that_is_not_text_is_refused(engine: Engine) -> None:
    with pytest.raises(ParamsError, match="text"):
        engine.stream(b"bytes", GREEDY)  # type: ignore[arg-type]


def test_streaming_without_a_model_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="no model"):
        Engine().stream(STORY, GREEDY)


def test_engine_recovers_after_a_failing_forward(
    engine: Engine, tiny_gemma: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(engine, STORY)
    working_step = engine.decode_step

    def broken_step(model: Any, token: torch.Tensor, kv: Any) -> torch.Tensor:
        raise RuntimeError("simulated kernel failure")

    engine.decode_step = broken_step
    with pytest.raises(RuntimeError, match="simulated"):
        run(engine, STORY + " more")
    engine.decode_step = working_step
    assert_matches_generate(engine, tiny_gemma, STORY + " more")


def test_gpu_out_of_memory_during_decode_falls_back_to_cpu(tiny_gemma: Any) -> None:
    # The fallback moves the model (a no-op here, on the CPU already): use a copy, not the
    # shared fixture.
    engine = Engine()
    engine.attach(copy.deepcopy(tiny_gemma.model), tiny_gemma.tokenizer, tiny_gemma.info)
    out_of_memory_once(engine, on_call=4)
    assert_matches_generate(engine, tiny_gemma, STORY)
    assert engine.info is not None
    assert engine.info.device == "cpu"
    assert engine.info.fallback_reason is not None and "memory" in engine.info.fallback_reason
    # The CPU's output layer, as a CPU load gets: a plain Linear would copy the tied weight on
    # every prefill chunk (models.loading.output_layer).
    head = engine._model.get_output_embeddings()
    assert isinstance(head, FoldedLinear)
    assert head.weight is engine._model.get_input_embeddings().weight, "still tied"
    # The rest of a CPU load's layers too, named for Diagnostics.
    assert "decode attention: grouped queries packed" in engine.info.kernels


def test_out_of_memory_on_the_cpu_too_is_a_generation_error(tiny_gemma: Any) -> None:
    def always_out_of_memory(model: Any, token: torch.Tensor, kv: Any) -> torch.Tensor:
        raise torch.cuda.OutOfMemoryError("simulated")

    # The fallback changes the model (its output layer): a copy, not the shared fixture.
    engine = Engine()
    engine.attach(copy.deepcopy(tiny_gemma.model), tiny_gemma.tokenizer, tiny_gemma.info)
    engine.decode_step = always_out_of_memory
    with pytest.raises(GenerationError, match="out of memory"):
        run(engine, STORY)


def test_failed_load_keeps_the_model_already_loaded(
    engine: Engine, tiny_gemma: Any, tmp_path: Path
) -> None:
    with pytest.raises(ModelLoadError, match="no-such-folder"):
        engine.load(ModelSpec(source=str(tmp_path / "no-such-folder")))
    assert engine.info == tiny_gemma.info
    assert_matches_generate(engine, tiny_gemma, STORY)


def test_empty_context_continues_from_the_start_token(engine: Engine, tiny_gemma: Any) -> None:
    assert_matches_generate(engine, tiny_gemma, "")
    assert engine.last_prompt_ids == [tiny_gemma.tokenizer.bos_token_id]


@pytest.mark.parametrize(
    "narrowing",
    [
        {"top_k": 1},
        # The least top_p (params.LIMITS) keeps one token only where the best one holds 1% of
        # the probability; the random tiny model's logits are flat (best ~1e-4 at temperature
        # 0.2), so a low temperature sharpens them (best ~0.8).
        {"top_p": 0.01, "top_k": 0, "temperature": 0.02},
        {"min_p": 1.0, "top_k": 0},
    ],
    ids=["top_k", "top_p", "min_p"],
)
def test_filters_narrowed_to_one_token_sample_the_greedy_text(
    engine: Engine, tiny_gemma: Any, narrowing: dict[str, Any]
) -> None:
    settings: dict[str, Any] = {"temperature": 1.5, "max_new_tokens": 12, "seed": 5}
    params = GenerationParams(stop=StopMode.NONE, **(settings | narrowing)).plain()
    run(engine, STORY, params)
    prompt_ids = tiny_gemma.tokenizer(STORY)["input_ids"]
    assert engine.last_token_ids == generate_greedy(tiny_gemma.model, prompt_ids, 12)


def test_cancel_lands_between_layers_inside_a_prefill_chunk(
    engine: Engine, tiny_gemma: Any
) -> None:
    """A cancel set while layer 1 of the first chunk runs stops before layer 2: the chunk is
    not finished, the layers that stored it are cropped back, and the next request is exact."""
    cancelled = threading.Event()
    ran: list[int] = []
    layers = tiny_gemma.model.get_decoder().layers

    def note(index: int) -> Any:
        def hook(module: Any, args: Any) -> None:
            ran.append(index)
            if index == 1:
                cancelled.set()

        return hook

    handles = [layer.register_forward_pre_hook(note(i)) for i, layer in enumerate(layers)]
    try:
        # Long enough for several chunks: a cancel between chunks would run all 4 layers once.
        deltas = list(engine.stream(LONG_STORY * 3, GREEDY, cancelled))
    finally:
        for handle in handles:
            handle.remove()
    assert deltas == []
    assert ran == [0, 1], "layers 2 and 3 never ran"
    assert engine.last_stats.stop_reason == "cancelled"
    assert_matches_generate(engine, tiny_gemma, LONG_STORY)  # the cache was cropped back


def test_a_mid_chunk_cancel_keeps_the_chunks_before_it(engine: Engine, tiny_gemma: Any) -> None:
    """Cancelled in the second chunk: the first stays cached and the next request reuses it."""
    cancelled = threading.Event()
    first_layer_calls = 0

    def cancel_in_second_chunk(module: Any, args: Any) -> None:
        nonlocal first_layer_calls
        first_layer_calls += 1
        if first_layer_calls == 2:
            cancelled.set()

    layers = tiny_gemma.model.get_decoder().layers
    handle = layers[1].register_forward_pre_hook(cancel_in_second_chunk)
    text = LONG_STORY * 3
    try:
        list(engine.stream(text, GREEDY, cancelled))
    finally:
        handle.remove()
    chunk = engine_module._PREFILL_CHUNK["cpu"]
    assert all(layer.get_seq_length() == chunk for layer in engine._cache.kv.layers), (
        "every layer holds exactly the first chunk"
    )
    run(engine, text)
    assert engine.last_stats.reused_tokens == chunk
    prompt_ids = tiny_gemma.tokenizer(text)["input_ids"]
    assert engine.last_token_ids == generate_greedy(tiny_gemma.model, prompt_ids, 12)


def test_cancel_during_a_long_prefill_of_the_tiny_model(engine: Engine, tiny_gemma: Any) -> None:
    cancelled = threading.Event()
    forwards = 0

    def cancel_on_second_chunk(module: Any, args: Any) -> None:
        nonlocal forwards
        forwards += 1
        if forwards == 2:
            cancelled.set()

    # The decoder runs for every chunk (all but the last skip the output layer).
    hook = tiny_gemma.model.get_decoder().register_forward_pre_hook(cancel_on_second_chunk)
    try:
        deltas = list(engine.stream(LONG_STORY * 3, GREEDY, cancelled))
    finally:
        hook.remove()
    assert deltas == []
    assert forwards == 2, "the prefill stopped at the chunk after the cancel"
    assert engine.last_stats.stop_reason == "cancelled"
    assert_matches_generate(engine, tiny_gemma, LONG_STORY)  # and the cache is still sound


def test_load_warms_up_prefill_and_decode_and_leaves_no_trace(
    tiny_gemma: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import penwright.models.loading.loader
    from penwright.models.loading.quantize import KERNEL_MAX_ROWS

    monkeypatch.setattr(
        penwright.models.loading.loader, "load_model", lambda spec, progress=None: tiny_gemma
    )
    fed_rows: list[int] = []
    hook = tiny_gemma.model.register_forward_pre_hook(
        lambda module, args, kwargs: fed_rows.append(kwargs["input_ids"].shape[1]),
        with_kwargs=True,
    )
    try:
        engine = Engine()
        engine.load(ModelSpec(source="tiny"))
    finally:
        hook.remove()
    assert fed_rows and max(fed_rows) > KERNEL_MAX_ROWS and min(fed_rows) == 1
    assert_matches_generate(engine, tiny_gemma, STORY)
    assert engine.last_stats.reused_tokens == 0
