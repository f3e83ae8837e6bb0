"""InferenceController + InferenceWorker with the scripted fake engine, through the real QThread."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from app_fakes import WAIT_MS, EngineScript, FakeEngine
from pytestqt.qtbot import QtBot

from penwright.app.inference.controller import InferenceController
from penwright.models.params import MAX_CONTEXT_CHARS, GenerationParams
from penwright.models.results import Delta, GenerationStats
from penwright.models.spec import ModelSpec


@pytest.fixture
def controller(qtbot: QtBot, script: EngineScript) -> Iterator[InferenceController]:
    controller = InferenceController(lambda: FakeEngine(script))
    with qtbot.waitSignal(controller.model_loaded, timeout=WAIT_MS):
        controller.load_model(ModelSpec())
    yield controller
    script.gate.set()
    controller.shutdown()


def collect(controller: InferenceController) -> list[tuple[int, int, str]]:
    received: list[tuple[int, int, str]] = []
    controller.suggestion_delta.connect(lambda *args: received.append(args))  # same thread
    return received


def test_worker_runs_in_its_own_thread(qtbot: QtBot, script: EngineScript) -> None:
    threads: list[threading.Thread] = []

    def factory() -> FakeEngine:
        threads.append(threading.current_thread())
        return FakeEngine(script)

    controller = InferenceController(factory)
    try:
        with qtbot.waitSignal(controller.model_loaded, timeout=WAIT_MS):
            controller.load_model(ModelSpec())
    finally:
        controller.shutdown()
    assert threads and threads[0] is not threading.main_thread()


def test_request_streams_deltas_then_finishes(
    qtbot: QtBot, controller: InferenceController, script: EngineScript
) -> None:
    received = collect(controller)
    with qtbot.waitSignal(controller.suggestion_finished, timeout=WAIT_MS) as finished:
        request_id = controller.request("Once", GenerationParams(temperature=0.0))
    assert received == [(request_id, 0, " once"), (request_id, 0, " upon")]
    stats = finished.args[1]
    assert isinstance(stats, GenerationStats) and stats.new_tokens == 2
    assert script.params[0].temperature == 0.0
    assert not controller.busy


def test_context_is_bounded_to_the_tail(
    qtbot: QtBot, controller: InferenceController, script: EngineScript
) -> None:
    text = "x" * (MAX_CONTEXT_CHARS + 500) + "END"
    with qtbot.waitSignal(controller.suggestion_finished, timeout=WAIT_MS):
        controller.request(text, GenerationParams())
    assert len(script.contexts[0]) == MAX_CONTEXT_CHARS
    assert script.contexts[0].endswith("END")


def test_new_request_drops_the_old_requests_tokens(
    qtbot: QtBot, controller: InferenceController, script: EngineScript
) -> None:
    script.per_request = [[Delta(0, " old1"), Delta(0, " old2")], [Delta(0, " new")]]
    script.hold_after = 1
    received = collect(controller)
    with qtbot.waitSignal(controller.suggestion_delta, timeout=WAIT_MS):
        first = controller.request("a", GenerationParams())
    script.hold_after = None
    with qtbot.waitSignal(controller.suggestion_finished, timeout=WAIT_MS) as finished:
        second = controller.request("b", GenerationParams())
        script.gate.set()
    assert finished.args[0] == second
    assert received == [(first, 0, " old1"), (second, 0, " new")]


def test_stop_cancels_at_once_and_reports_cancelled(
    qtbot: QtBot, controller: InferenceController, script: EngineScript
) -> None:
    script.hold_after = 1
    received = collect(controller)
    with qtbot.waitSignal(controller.suggestion_delta, timeout=WAIT_MS):
        controller.request("a", GenerationParams())
    with qtbot.waitSignal(controller.suggestion_finished, timeout=WAIT_MS) as finished:
        controller.stop()  # the gate never opens: only the cancel Event can end the stream
    assert finished.args[1].cancelled
    assert [text for _, _, text in received] == [" once"]


def test_stream_failure_is_reported_and_next_request_works(
    qtbot: QtBot, controller: InferenceController, script: EngineScript
) -> None:
    script.stream_error = RuntimeError("CUDA out of memory. Tried to allocate 2 GiB")
    with qtbot.waitSignal(controller.suggestion_failed, timeout=WAIT_MS) as failed:
        controller.request("a", GenerationParams())
    assert failed.args[1].startswith("Out of memory")
    received = collect(controller)
    with qtbot.waitSignal(controller.suggestion_finished, timeout=WAIT_MS):
        controller.request("a", GenerationParams())
    assert len(received) == 2


def test_request_while_loading_waits_for_the_model(qtbot: QtBot, script: EngineScript) -> None:
    script.load_gate = threading.Event()
    controller = InferenceController(lambda: FakeEngine(script))
    try:
        controller.load_model(ModelSpec())
        controller.request("a", GenerationParams())  # returns at once: it just queues
        assert controller.loading
        with qtbot.waitSignals(
            [controller.model_loaded, controller.suggestion_finished],
            order="strict",
            timeout=WAIT_MS,
        ):
            script.load_gate.set()
    finally:
        script.load_gate.set()
        controller.shutdown()
    assert script.contexts == ["a"]


def test_load_failure_is_reported_and_retried_on_next_request(
    qtbot: QtBot, script: EngineScript
) -> None:
    script.load_error = OSError("no such file: model.gguf")
    controller = InferenceController(lambda: FakeEngine(script))
    try:
        with qtbot.waitSignal(controller.model_failed, timeout=WAIT_MS) as failed:
            controller.load_model(ModelSpec())
        assert "model.gguf" in failed.args[0]
        script.load_error = None
        with qtbot.waitSignals(
            [controller.model_loaded, controller.suggestion_finished], timeout=WAIT_MS
        ):
            controller.request("a", GenerationParams())
    finally:
        controller.shutdown()
    assert script.loads == 2


def test_shutdown_with_a_timeout_leaves_a_load_that_does_not_report(qtbot: QtBot) -> None:
    # A first-run conversion can go seconds without a progress report: a forced quit must not
    # wait for it forever.
    gate = threading.Event()
    script = EngineScript(load_gate=gate)
    controller = InferenceController(lambda: FakeEngine(script))
    controller.load_model(ModelSpec())
    qtbot.waitUntil(lambda: script.loads == 1, timeout=WAIT_MS)
    assert controller.shutdown(timeout_ms=100) is False
    gate.set()  # the load returns; now the threads stop
    assert controller.shutdown() is True
