"""Streaming, stops and cancellation, driven by a scripted model that "writes" a known text.

The scripted model puts all probability on the next token of a fixed script, so the tests know
exactly what the engine receives and can check what it shows, where it stops and how soon it
notices a cancel. It uses the real default tokenizer (byte fallback, CJK) from the tiny fixture.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from scripted import ScriptedLM

from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import ModelInfo


@pytest.fixture
def tokenizer(tiny_gemma: Any) -> Any:
    return tiny_gemma.tokenizer


def scripted_engine(tokenizer: Any, context: str, continuation: str) -> tuple[Engine, ScriptedLM]:
    script = tokenizer(continuation, add_special_tokens=False)["input_ids"]
    model = ScriptedLM(script, len(tokenizer), tokenizer.eos_token_id)
    model.prompt_length = len(tokenizer(context)["input_ids"])
    engine = Engine()
    info = ModelInfo(
        name="scripted", source="test", path="", device="cpu", precision="fp32", parameters=0,
        context_length=100_000,
    )  # fmt: skip
    engine.attach(model, tokenizer, info)
    return engine, model


def params(**overrides: Any) -> GenerationParams:
    settings: dict[str, Any] = {"temperature": 0.0, "max_new_tokens": 200, "stop": StopMode.NONE}
    # The engine's mechanics, so without the prose rules (their tests: test_rules*.py).
    return GenerationParams(**(settings | overrides)).plain()


@pytest.mark.parametrize(
    ("stop", "continuation", "shown"),
    [
        (StopMode.SENTENCE, " It rained all day. Then the sun came out.", " It rained all day."),
        (StopMode.SENTENCE, " “Why?” she asked. Nobody knew.", " “Why?”"),
        (StopMode.SENTENCE, "今天下雨了。明天会晴。", "今天下雨了。"),
        (StopMode.SENTENCE, " a list:\n- eggs", " a list:"),
        (StopMode.PARAGRAPH, " One. Two.\nThree.\n\nFour.", " One. Two.\nThree."),
    ],
)
def test_stops_end_the_stream_and_generation(
    tokenizer: Any, stop: StopMode, continuation: str, shown: str
) -> None:
    engine, model = scripted_engine(tokenizer, "Weather report:", continuation)
    text = "".join(d.text for d in engine.stream("Weather report:", params(stop=stop)))
    assert text == shown
    assert engine.last_stats.stop_reason == "stop"
    assert len(engine.last_token_ids) < len(model.script), "generation ended at the stop"


def test_custom_stop_string_is_left_out_even_when_split_across_tokens(tokenizer: Any) -> None:
    engine, _ = scripted_engine(tokenizer, "List:", " alpha beta<|END|> gamma")
    chosen = params(stop=StopMode.CUSTOM, stop_strings=("<|END|>",))
    deltas = [d.text for d in engine.stream("List:", chosen)]
    assert "".join(deltas) == " alpha beta"
    assert not any("<" in d for d in deltas), "a partial stop string is never shown"


@pytest.mark.parametrize(
    "continuation",
    [
        " The keeper wrote: naïve ships sail at 3.14 knots, don't they?",
        "他说：「今天天气很好！」我们去公园散步吧。𩸽を食べた。🦜",  # noqa: RUF001
    ],
)
def test_streamed_pieces_reassemble_to_the_decoded_ids(tokenizer: Any, continuation: str) -> None:
    engine, _ = scripted_engine(tokenizer, "Story:", continuation)
    deltas = [d.text for d in engine.stream("Story:", params())]
    assert "".join(deltas) == tokenizer.decode(engine.last_token_ids, skip_special_tokens=True)
    assert "".join(deltas) == continuation
    assert len(deltas) > 3, "text streams in pieces"
    assert not any("\ufffd" in d for d in deltas)
    assert engine.last_stats.stop_reason == "eos"


def test_length_limit_ends_with_reason_length(tokenizer: Any) -> None:
    engine, _ = scripted_engine(tokenizer, "Count:", " one two three four five six")
    list(engine.stream("Count:", params(max_new_tokens=3)))
    assert (
        engine.last_token_ids == tokenizer(" one two three", add_special_tokens=False)["input_ids"]
    )
    assert engine.last_stats.stop_reason == "length"


LONG_CONTEXT = "The archive held many letters. " * 400  # about 2,400 tokens


def test_cancel_before_the_request_starts_runs_no_forward(tokenizer: Any) -> None:
    engine, model = scripted_engine(tokenizer, LONG_CONTEXT, " never shown")
    cancelled = threading.Event()
    cancelled.set()
    assert list(engine.stream(LONG_CONTEXT, params(), cancelled)) == []
    assert model.forward_calls == 0
    assert engine.last_stats.stop_reason == "cancelled" and engine.last_stats.cancelled


def test_cancel_during_a_long_prefill_stops_at_the_next_chunk(tokenizer: Any) -> None:
    engine, model = scripted_engine(tokenizer, LONG_CONTEXT, " never shown")
    cancelled = threading.Event()
    model.on_forward = lambda calls: cancelled.set() if calls == 2 else None
    assert list(engine.stream(LONG_CONTEXT, params(), cancelled)) == []
    assert model.forward_calls == 2, "no chunk runs after the cancel"
    assert engine.last_stats.new_tokens == 0
    assert engine.last_stats.stop_reason == "cancelled"


def test_cancel_during_decode_stops_at_the_next_step(tokenizer: Any) -> None:
    continuation = " word" * 150
    engine, model = scripted_engine(tokenizer, "Say:", continuation)
    cancelled = threading.Event()
    model.on_forward = lambda calls: cancelled.set() if calls == 6 else None
    list(engine.stream("Say:", params(), cancelled))
    assert len(engine.last_token_ids) == 6, "one token per forward, none after the cancel"
    assert engine.last_stats.stop_reason == "cancelled"


def test_cancel_from_another_thread_stops_generation(tokenizer: Any) -> None:
    engine, model = scripted_engine(tokenizer, "Say:", " word" * 150)
    cancelled = threading.Event()
    started = threading.Event()

    def pause_until_cancelled(calls: int) -> None:
        if calls == 3:  # hold this forward until the other thread has set the Event
            started.set()
            cancelled.wait()

    def cancel_once_started() -> None:
        started.wait(timeout=60)  # a bound so a broken engine cannot hang the test run
        cancelled.set()

    model.on_forward = pause_until_cancelled
    canceller = threading.Thread(target=cancel_once_started)
    canceller.start()
    list(engine.stream("Say:", params(), cancelled))
    canceller.join()
    assert engine.last_stats.stop_reason == "cancelled"
    assert len(engine.last_token_ids) == 3


def test_after_a_cancel_the_next_request_runs_in_full(tokenizer: Any) -> None:
    engine, model = scripted_engine(tokenizer, "Say:", " one two three.")
    cancelled = threading.Event()
    model.on_forward = lambda calls: cancelled.set() if calls == 2 else None
    list(engine.stream("Say:", params(), cancelled))
    model.on_forward = lambda calls: None
    assert "".join(d.text for d in engine.stream("Say:", params())) == " one two three."
