"""Serve to other programs, in the real window: the server answers through the worker that owns
the editor's model (no second model), the status bar counts what it served, the writer's own
requests go before the server's queued ones, and turning it off closes the port."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from app_fakes import WAIT_MS, EngineScript
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from penwright.app.settings.store import ServeSettings
from penwright.app.window.main_window import MainWindow
from penwright.models.params import GenerationParams


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(window: MainWindow, **changes: Any) -> int:
    """Turn serving on through the settings, as Preferences does; returns the port."""
    store = window.settings_store
    port = free_port()
    serve_settings = replace(ServeSettings(enabled=True, port=port), **changes)
    store.save(replace(store.current, serve=serve_settings))
    assert window.server.running, window.server.error
    return port


def complete(port: int, prompt: str, key: str = "") -> tuple[int, dict]:
    body = json.dumps({"prompt": prompt, "max_tokens": 8}).encode()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    asked = urllib.request.Request(f"http://127.0.0.1:{port}/v1/completions", body, headers)
    try:
        with urllib.request.urlopen(asked, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def wait(qtbot: QtBot, future: Future[Any]) -> Any:
    qtbot.waitUntil(future.done, timeout=WAIT_MS * 2)
    return future.result()


@pytest.fixture
def pool() -> Any:
    with ThreadPoolExecutor(4) as executor:
        yield executor


def test_serving_answers_from_the_editors_model_and_counts(
    window: MainWindow, script: EngineScript, qtbot: QtBot, pool: ThreadPoolExecutor
) -> None:
    panel = window.status_panel
    assert not panel.server_label.isVisibleTo(window)
    port = serve(window)
    assert panel.server_label.text() == f"Serving on 127.0.0.1:{port} · 0 requests"
    status, answer = wait(qtbot, pool.submit(complete, port, "Dear diary,"))
    assert status == 200 and answer["choices"][0]["text"] == " once upon"
    assert script.contexts == ["Dear diary,"]
    assert script.loads == 1  # the editor's model, loaded once
    qtbot.waitUntil(lambda: panel.server_label.text().endswith("· 1 request"), timeout=WAIT_MS)
    assert panel.server_label.isVisibleTo(window)

    store = window.settings_store
    store.save(replace(store.current, serve=replace(store.current.serve, enabled=False)))
    assert not window.server.running and panel.server_label.text() == ""
    with pytest.raises(OSError):
        complete(port, "anyone there?")


def test_a_key_set_in_preferences_is_asked_and_never_written(
    window: MainWindow, qtbot: QtBot, pool: ThreadPoolExecutor, settings: QSettings
) -> None:
    port = serve(window, api_key="s3cret")
    status, answer = wait(qtbot, pool.submit(complete, port, "x"))
    assert status == 401 and "API key" in answer["error"]["message"]
    status, _ = wait(qtbot, pool.submit(complete, port, "x", "s3cret"))
    assert status == 200
    settings.sync()
    written = Path(settings.fileName()).read_text(encoding="utf-8")
    assert "s3cret" not in written and "serve" in written


def test_the_writers_request_goes_first_pausing_the_server_for_it(
    window: MainWindow, script: EngineScript, qtbot: QtBot, pool: ThreadPoolExecutor
) -> None:
    port = serve(window)
    script.hold_after = 1  # each request waits at the gate after its first piece
    first = pool.submit(complete, port, "server first")
    qtbot.waitUntil(lambda: script.contexts == ["server first"], timeout=WAIT_MS)
    second = pool.submit(complete, port, "server second")
    qtbot.waitUntil(lambda: len(window.server._queue or ()) == 1, timeout=WAIT_MS)
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS * 2):
        window.controller.request("the writer", GenerationParams())
        script.gate.set()
    status, answer = wait(qtbot, first)
    assert wait(qtbot, second)[0] == 200
    # The first server request paused at its next piece for the writer, then carried on from
    # what it had sent, before the second one: its client saw one answer.
    assert script.contexts == [
        "server first",
        "the writer",
        "server first once upon",
        "server second",
    ]
    assert status == 200 and answer["choices"][0]["text"] == " once upon once upon"
    assert answer["usage"]["completion_tokens"] == 4  # both parts
    qtbot.waitUntil(lambda: window.server.served == 2, timeout=WAIT_MS)  # two requests, not 3


def test_a_port_in_use_is_reported_not_raised(window: MainWindow) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        store = window.settings_store
        store.save(replace(store.current, serve=ServeSettings(enabled=True, port=port)))
        assert not window.server.running
        assert window.status_panel.server_label.text().startswith("Serving failed:")
