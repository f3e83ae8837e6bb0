"""n alternatives in one batched pass: each row samples what the one-at-a-time path would, rows
end independently, and the prefix cache afterwards holds the prompt once, ready for reuse."""

from __future__ import annotations

import copy
from collections.abc import Generator
from dataclasses import replace
from typing import Any

import pytest
from engine_faults import out_of_memory_once
from reference import STORY, generate_greedy

from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams, StopMode

GREEDY = GenerationParams(temperature=0.0, max_new_tokens=10, stop=StopMode.NONE).plain()


@pytest.fixture
def engine(tiny_gemma: Any) -> Engine:
    engine = Engine()
    engine.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info)
    return engine


def texts_by_alternative(engine: Engine, context: str, params: GenerationParams) -> list[str]:
    texts = [""] * params.n
    for delta in engine.stream(context, params):
        texts[delta.alternative] += delta.text
    return texts


def test_every_row_narrowed_to_one_token_is_the_greedy_continuation(
    engine: Engine, tiny_gemma: Any
) -> None:
    params = GenerationParams(
        temperature=1.5, top_k=1, max_new_tokens=10, stop=StopMode.NONE, n=3
    ).plain()
    list(engine.stream(STORY, params))
    prompt_ids = tiny_gemma.tokenizer(STORY)["input_ids"]
    expected = generate_greedy(tiny_gemma.model, prompt_ids, 10)
    assert engine.last_alternative_ids == (expected, expected, expected)
    assert engine.last_stats.new_tokens == 30


def test_each_row_samples_what_the_one_at_a_time_path_samples_for_its_seed(
    engine: Engine,
) -> None:
    # A custom stop on a common letter ends the alternatives after different numbers of tokens,
    # so rows leave the batch at different steps.
    params = GenerationParams(
        temperature=1.0, top_k=20, top_p=0.9, max_new_tokens=16, seed=40, n=4,
        stop=StopMode.CUSTOM, stop_strings=("e",),
    )
    batched_texts = texts_by_alternative(engine, STORY, params)
    batched_ids = engine.last_alternative_ids
    assert len({len(ids) for ids in batched_ids}) > 1, "rows should end at different steps"
    for index in range(params.n):
        single = replace(params, n=1, seed=40 + index)
        assert texts_by_alternative(engine, STORY, single) == [batched_texts[index]]
        assert engine.last_alternative_ids == (batched_ids[index],)


def test_after_a_batch_the_cache_holds_the_prompt_once_and_greedy_still_equals_generate(
    engine: Engine, tiny_gemma: Any
) -> None:
    sampled = GenerationParams(temperature=1.0, max_new_tokens=8, stop=StopMode.NONE, n=3, seed=1)
    list(engine.stream(STORY, sampled))
    prompt_ids = tiny_gemma.tokenizer(STORY)["input_ids"]
    appended = STORY + " the keeper"
    list(engine.stream(appended, GREEDY))
    assert engine.last_stats.reused_tokens >= len(prompt_ids) - 2  # retokenized boundary
    assert engine.last_token_ids == generate_greedy(tiny_gemma.model, engine.last_prompt_ids, 10)


def test_closing_the_stream_mid_batch_leaves_a_reusable_cache(
    engine: Engine, tiny_gemma: Any
) -> None:
    sampled = GenerationParams(temperature=1.0, max_new_tokens=8, stop=StopMode.NONE, n=3, seed=2)
    stream = engine.stream(STORY, sampled)
    assert isinstance(stream, Generator)
    next(stream)
    stream.close()
    assert engine.last_stats.cancelled
    list(engine.stream(STORY, GREEDY))
    prompt_ids = tiny_gemma.tokenizer(STORY)["input_ids"]
    assert engine.last_stats.reused_tokens == len(prompt_ids) - 1
    assert engine.last_token_ids == generate_greedy(tiny_gemma.model, prompt_ids, 10)


def test_out_of_memory_mid_batch_finishes_every_alternative_one_at_a_time(
    tiny_gemma: Any,
) -> None:
    engine = Engine()
    engine.attach(copy.deepcopy(tiny_gemma.model), tiny_gemma.tokenizer, tiny_gemma.info)
    out_of_memory_once(engine, on_call=3)
    params = GenerationParams(
        temperature=1.5, top_k=1, max_new_tokens=10, stop=StopMode.NONE, n=3
    ).plain()
    texts = texts_by_alternative(engine, STORY, params)
    expected = generate_greedy(tiny_gemma.model, tiny_gemma.tokenizer(STORY)["input_ids"], 10)
    assert engine.last_alternative_ids == (expected, expected, expected)
    assert texts[0] == texts[1] == texts[2] == tiny_gemma.tokenizer.decode(expected)
    assert engine.info is not None and engine.info.fallback_reason is not None
