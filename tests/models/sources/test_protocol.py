"""Every text source keeps the TextSource contract: the local Engine and the app tests' fake.

Structure (the members and their parameters) is checked for both classes; behaviour (stable
deltas, a cancel before the start, closing early, close) on a source ready to stream: the Engine
on the tiny random Gemma 3, the fake after a load.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from app_fakes import EngineScript, FakeEngine

from penwright.models.errors import EngineError
from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams, StopMode
from penwright.models.results import Delta
from penwright.models.sources.protocol import TextSource
from penwright.models.spec import ModelSpec

# mypy checks these two assignments structurally (a missing or mistyped member is an error).
_ENGINE_IS_A_SOURCE: type[TextSource] = Engine
_FAKE_IS_A_SOURCE: type[TextSource] = FakeEngine

METHODS = ("load", "stream", "close")
PROPERTIES = ("info", "last_stats")
PARAMS = GenerationParams(temperature=0.0, max_new_tokens=6, stop=StopMode.NONE)


@pytest.mark.parametrize("source_class", [Engine, FakeEngine], ids=["engine", "fake"])
def test_the_source_has_every_member_of_the_protocol(source_class: type) -> None:
    for name in METHODS:
        wanted = inspect.signature(getattr(TextSource, name)).parameters
        offered = inspect.signature(getattr(source_class, name)).parameters
        assert list(offered)[: len(wanted)] == list(wanted), f"{name} takes the protocol's names"
        extra = list(offered.values())[len(wanted) :]
        assert all(p.default is not p.empty or p.kind is p.VAR_KEYWORD for p in extra), (
            f"{name}: parameters beyond the protocol's must be optional"
        )
    for name in PROPERTIES:
        assert isinstance(inspect.getattr_static(source_class, name), property), name


@pytest.fixture(params=["engine", "fake"])
def source(request: pytest.FixtureRequest) -> TextSource:
    if request.param == "fake":
        fake = FakeEngine(EngineScript(deltas=[Delta(0, " and"), Delta(0, " then")]))
        fake.load(ModelSpec(source="fake"))
        return fake
    tiny = request.getfixturevalue("tiny_gemma")
    engine = Engine()
    engine.attach(tiny.model, tiny.tokenizer, tiny.info)
    return engine


def test_a_ready_source_is_a_text_source_and_streams_deltas(source: TextSource) -> None:
    assert isinstance(source, TextSource)
    assert source.info is not None
    deltas = list(source.stream("The keeper climbed", PARAMS, threading.Event()))
    assert deltas and all(isinstance(d, Delta) and d.alternative == 0 for d in deltas)
    assert not source.last_stats.cancelled


def test_a_cancel_set_before_the_start_yields_nothing(source: TextSource) -> None:
    cancelled = threading.Event()
    cancelled.set()
    assert list(source.stream("The keeper climbed", PARAMS, cancelled)) == []
    assert source.last_stats.cancelled and source.last_stats.stop_reason == "cancelled"


def test_closing_the_stream_early_leaves_the_source_ready(source: TextSource) -> None:
    first = list(source.stream("The keeper climbed", PARAMS, threading.Event()))
    stream = source.stream("The keeper climbed", PARAMS, threading.Event())
    assert isinstance(stream, Iterator)
    next(stream)
    getattr(stream, "close", lambda: None)()
    assert list(source.stream("The keeper climbed", PARAMS, threading.Event())) == first


def test_close_frees_the_model_and_may_be_called_twice(source: TextSource) -> None:
    source.close()
    source.close()
    assert source.info is None


def test_a_closed_engine_refuses_to_stream(tiny_gemma: Any) -> None:
    engine = Engine()
    engine.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info)
    engine.close()
    assert engine.model is None and engine.tokenizer is None
    with pytest.raises(EngineError, match="no model"):
        engine.stream("The keeper climbed", PARAMS, threading.Event())
